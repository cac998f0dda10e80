import { cellValue, customerId, mapColumns, numberCell, propertyName } from '../import/csv-columns';
import { ORDER_FIELDS, orderColumns, orderRow } from '../import/orders.mapping';

describe('CSV columns', () => {
  it('recognises the UCI Online Retail header as an orders file', () => {
    const header = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'];
    const columns = mapColumns(header, ORDER_FIELDS);
    expect(Object.fromEntries(columns.fields)).toEqual({
      customer: 6,
      order: 0,
      timestamp: 4,
      quantity: 3,
      unitPrice: 5,
      item: 1,
      description: 2,
    });
    expect(columns.extra).toEqual([{ index: 7, name: 'country' }]);
  });

  it('turns a cancellation line into Order Refunded with negative revenue', () => {
    const header = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'];
    const columns = orderColumns(header);
    if (typeof columns === 'string') throw new Error(columns);
    const outcome = orderRow(['C536379', 'D', 'Discount', '-1', '2010-12-01 09:41:00', '27.50', '14527.0', 'United Kingdom'], columns);
    expect(outcome).toEqual({
      kind: 'message',
      type: 'track',
      message: {
        userId: '14527',
        event: 'Order Refunded',
        timestamp: '2010-12-01T09:41:00.000Z',
        properties: {
          order_id: 'C536379',
          revenue: -27.5,
          total: 27.5,
          quantity: -1,
          price: 27.5,
          product_id: 'D',
          name: 'Discount',
          country: 'United Kingdom',
        },
      },
    });
  });

  it('reads cells as ops expect', () => {
    expect(customerId('17850.0')).toBe('17850');
    expect(customerId('A-17')).toBe('A-17');
    expect(cellValue('42')).toBe(42);
    expect(cellValue('0007')).toBe('0007');
    expect(cellValue(' ')).toBeUndefined();
    expect(numberCell('2.55')).toBe(2.55);
    expect(numberCell('2,55')).toBeNull();
    expect(propertyName('Annual Income (k$)')).toBe('annual_income_k');
    expect(propertyName('Spending Score (1-100)')).toBe('spending_score_1_100');
  });
});
