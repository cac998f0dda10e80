/** A field the importer understands, and the header names that mean it (compared normalised). */
export interface FieldSpec {
  field: string;
  aliases: string[];
}

/** Header text → comparable form: lower case, letters and digits only ("Invoice No" → "invoiceno"). */
export function normaliseHeader(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Header text → a property or trait name: lower snake case ("Annual Income (k$)" → "annual_income_k"). */
export function propertyName(header: string): string {
  return (
    header
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'column'
  );
}

export interface ColumnMap {
  /** field → column index */
  fields: Map<string, number>;
  /** Columns no field claimed: kept as traits or properties, under `propertyName(header)`. */
  extra: { index: number; name: string }[];
}

/** Matches a header row against the known fields; the first column whose name is an alias wins. */
export function mapColumns(header: string[], specs: FieldSpec[]): ColumnMap {
  const fields = new Map<string, number>();
  const claimed = new Set<number>();
  for (const spec of specs) {
    const aliases = new Set(spec.aliases.map(normaliseHeader));
    const index = header.findIndex((name, i) => !claimed.has(i) && aliases.has(normaliseHeader(name)));
    if (index >= 0) {
      fields.set(spec.field, index);
      claimed.add(index);
    }
  }
  const extra = header.map((name, index) => ({ index, name: propertyName(name) })).filter((column) => !claimed.has(column.index));
  return { fields, extra };
}

/**
 * A CSV cell as a JSON value for traits and properties: numbers stay numbers (so segments can
 * compare them), except ones written with leading zeros, which are codes ("0001"); empty is absent.
 */
export function cellValue(text: string): string | number | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(value) && Number.isFinite(Number(value))) return Number(value);
  return value;
}

/** Customer ids exported from spreadsheets often read "17850.0": the same customer as "17850". */
export function customerId(text: string): string {
  const value = text.trim();
  return /^\d+\.0+$/.test(value) ? value.replace(/\.0+$/, '') : value;
}

/** A decimal number cell, or null when it is not one. */
export function numberCell(text: string | undefined): number | null {
  const value = (text ?? '').trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
