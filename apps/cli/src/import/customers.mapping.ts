import { parseIsoTimestamp } from '@audiencekit/ingestion';
import { cellValue, ColumnMap, customerId, FieldSpec, mapColumns } from './csv-columns';
import { RowOutcome } from './row-outcome';

export const CUSTOMER_FIELDS: FieldSpec[] = [
  { field: 'id', aliases: ['customer_id', 'customerid', 'customer', 'id', 'user_id', 'userid', 'external_id'] },
  { field: 'email', aliases: ['email', 'e-mail', 'email_address', 'mail'] },
  { field: 'phone', aliases: ['phone', 'phone_number', 'mobile', 'telephone', 'tel'] },
  { field: 'timestamp', aliases: ['updated_at', 'timestamp', 'created_at', 'date'] },
];

/** Checks the header of a customers file; returns the column map or why it cannot be imported. */
export function customerColumns(header: string[]): ColumnMap | string {
  const columns = mapColumns(header, CUSTOMER_FIELDS);
  if (!columns.fields.has('id')) return `a customers file needs an id column (customer_id, id or user_id); found: ${header.join(', ')}`;
  return columns;
}

/**
 * A customer row → an identify call: userId is the id, traits are email, phone and every other
 * column (numbers as numbers). The row's timestamp column, if any, is the time of the traits
 * (last write wins by it); otherwise the import time.
 */
export function customerRow(values: string[], columns: ColumnMap, importedAt: Date): RowOutcome {
  const cell = (field: string) => {
    const index = columns.fields.get(field);
    return index === undefined ? '' : (values[index] ?? '').trim();
  };
  const id = customerId(cell('id'));
  if (!id) return { kind: 'rejected', reason: 'the customer id is empty' };
  const traits: Record<string, unknown> = {};
  if (cell('email')) traits['email'] = cell('email');
  if (cell('phone')) traits['phone'] = cell('phone');
  for (const column of columns.extra) {
    const value = column.name === 'unsubscribed' ? consentCell(values[column.index] ?? '') : cellValue(values[column.index] ?? '');
    if (value !== undefined) traits[column.name] = value;
  }
  let timestamp = importedAt;
  if (cell('timestamp')) {
    const parsed = parseIsoTimestamp(cell('timestamp'));
    if (!parsed) return { kind: 'rejected', reason: `the timestamp ${JSON.stringify(cell('timestamp'))} is not an ISO 8601 date-time` };
    timestamp = parsed;
  }
  return { kind: 'message', type: 'identify', message: { userId: id, traits, timestamp: timestamp.toISOString() } };
}

/**
 * An `unsubscribed` cell: `true` / `false` (any case, as spreadsheets write them) become booleans,
 * because activation suppresses on `unsubscribed === true` only; anything else stays as written.
 */
function consentCell(text: string): boolean | string | number | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return cellValue(text);
}
