import { parseIsoTimestamp } from '@audiencekit/ingestion';
import { cellValue, ColumnMap, customerId, FieldSpec, mapColumns, numberCell } from './csv-columns';
import { RowOutcome } from './row-outcome';

export const ORDER_FIELDS: FieldSpec[] = [
  { field: 'customer', aliases: ['customer_id', 'customerid', 'customer', 'user_id', 'userid'] },
  { field: 'order', aliases: ['order_id', 'orderid', 'invoice', 'invoiceno', 'invoice_no', 'order', 'order_number', 'transaction_id'] },
  { field: 'timestamp', aliases: ['timestamp', 'invoicedate', 'invoice_date', 'order_date', 'date', 'created_at'] },
  { field: 'quantity', aliases: ['quantity', 'qty'] },
  { field: 'unitPrice', aliases: ['unitprice', 'unit_price', 'price'] },
  { field: 'amount', aliases: ['amount', 'revenue', 'total', 'line_total'] },
  { field: 'item', aliases: ['item', 'stockcode', 'stock_code', 'sku', 'product_id', 'item_id'] },
  { field: 'description', aliases: ['description', 'item_name', 'product_name', 'name'] },
];

/** Checks the header of an orders file; returns the column map or why it cannot be imported. */
export function orderColumns(header: string[]): ColumnMap | string {
  const columns = mapColumns(header, ORDER_FIELDS);
  const missing = ['customer', 'order', 'timestamp', 'quantity'].filter((field) => !columns.fields.has(field));
  if (!columns.fields.has('unitPrice') && !columns.fields.has('amount')) missing.push('unit price or amount');
  if (missing.length > 0) return `an orders file needs columns for ${missing.join(', ')}; found: ${header.join(', ')}`;
  return columns;
}

/**
 * An order line → a track call on the customer: `Order Completed`, or `Order Refunded` for a
 * return (a negative quantity, or an order id starting with C, the cancellation invoices of the
 * UCI Online Retail data). `revenue` is the line's signed amount (quantity × unit price unless an
 * amount column is given), so completed plus refunded revenue sums to the file's total. Rows
 * without a customer id are skipped (counted apart): there is nobody to attribute them to.
 */
export function orderRow(values: string[], columns: ColumnMap): RowOutcome {
  const cell = (field: string) => {
    const index = columns.fields.get(field);
    return index === undefined ? '' : (values[index] ?? '').trim();
  };
  const order = cell('order');
  if (!order) return { kind: 'rejected', reason: 'the order id is empty' };
  const timestamp = parseIsoTimestamp(cell('timestamp'));
  if (!timestamp) return { kind: 'rejected', reason: `the timestamp ${JSON.stringify(cell('timestamp'))} is not an ISO 8601 date-time` };
  const quantity = numberCell(cell('quantity'));
  if (quantity === null) return { kind: 'rejected', reason: `the quantity ${JSON.stringify(cell('quantity'))} is not a number` };
  const unitPrice = columns.fields.has('unitPrice') ? numberCell(cell('unitPrice')) : null;
  if (columns.fields.has('unitPrice') && unitPrice === null)
    return { kind: 'rejected', reason: `the unit price ${JSON.stringify(cell('unitPrice'))} is not a number` };
  const amount = columns.fields.has('amount') ? numberCell(cell('amount')) : null;
  if (columns.fields.has('amount') && amount === null)
    return { kind: 'rejected', reason: `the amount ${JSON.stringify(cell('amount'))} is not a number` };
  const customer = customerId(cell('customer'));
  if (!customer) return { kind: 'skipped', reason: 'no customer id' };

  // Prices have at most a few decimals: rounding to 1/1000 removes binary floating-point noise.
  const revenue = Math.round((amount ?? quantity * (unitPrice ?? 0)) * 1000) / 1000;
  const refund = quantity < 0 || /^c/i.test(order);
  const properties: Record<string, unknown> = { order_id: order, revenue, quantity };
  if (unitPrice !== null) properties['price'] = unitPrice;
  if (refund) properties['total'] = Math.abs(revenue);
  if (cell('item')) properties['product_id'] = cell('item');
  if (cell('description')) properties['name'] = cell('description');
  for (const column of columns.extra) {
    const value = cellValue(values[column.index] ?? '');
    if (value !== undefined && !(column.name in properties)) properties[column.name] = value;
  }
  return {
    kind: 'message',
    type: 'track',
    message: { userId: customer, event: refund ? 'Order Refunded' : 'Order Completed', properties, timestamp: timestamp.toISOString() },
  };
}
