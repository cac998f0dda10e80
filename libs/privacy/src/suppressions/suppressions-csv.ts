import {
  MAX_REASON_LENGTH,
  normalizeSuppressedValue,
  SUPPRESSION_CHANNELS,
  SUPPRESSION_IDENTIFIER_TYPES,
  SuppressionChannel,
  SuppressionIdentifierType,
} from './suppression-input';

/**
 * The suppression CSV, the same both ways: `identifier_type,identifier_value,channel,reason`
 * (export adds `created_at`, which import ignores, so an export imports back unchanged). On import
 * `channel` and `reason` may be missing or empty: then `all` and the import's default reason.
 */
export const SUPPRESSION_CSV_COLUMNS = ['identifier_type', 'identifier_value', 'channel', 'reason', 'created_at'] as const;

/** Where each known column is in the file's header. */
export interface CsvHeader {
  type: number;
  value: number;
  channel: number | null;
  reason: number | null;
}

export interface ParsedLine {
  identifierType: SuppressionIdentifierType;
  value: string;
  channel: SuppressionChannel;
  reason: string;
}

/** Reads the header row; answers the problem when a required column is missing. */
export function readCsvHeader(fields: readonly string[]): CsvHeader | { problem: string } {
  const names = fields.map((field) => field.trim().toLowerCase());
  const at = (...aliases: string[]) => {
    const index = names.findIndex((name) => aliases.includes(name));
    return index < 0 ? null : index;
  };
  const type = at('identifier_type', 'type');
  const value = at('identifier_value', 'value');
  if (type === null || value === null)
    return { problem: 'the first line must be a header with identifier_type and identifier_value (and optionally channel, reason)' };
  return { type, value, channel: at('channel'), reason: at('reason') };
}

/** One data line → a normalised suppression, or the reason it is invalid. */
export function parseCsvLine(fields: readonly string[], header: CsvHeader, defaultReason: string): ParsedLine | { problem: string } {
  const type = (fields[header.type] ?? '').trim().toLowerCase();
  if (!(SUPPRESSION_IDENTIFIER_TYPES as readonly string[]).includes(type))
    return { problem: `identifier_type must be one of ${SUPPRESSION_IDENTIFIER_TYPES.join(', ')}` };
  const identifierType = type as SuppressionIdentifierType;
  const normalized = normalizeSuppressedValue(identifierType, fields[header.value] ?? '');
  if ('problem' in normalized) return { problem: `identifier_value ${normalized.problem}` };
  const channel = (header.channel === null ? '' : (fields[header.channel] ?? '')).trim().toLowerCase() || 'all';
  if (!(SUPPRESSION_CHANNELS as readonly string[]).includes(channel))
    return { problem: `channel must be one of ${SUPPRESSION_CHANNELS.join(', ')}` };
  const reason = (header.reason === null ? '' : (fields[header.reason] ?? '')).trim() || defaultReason;
  if (reason.length > MAX_REASON_LENGTH) return { problem: `reason must be at most ${MAX_REASON_LENGTH} characters` };
  return { identifierType, value: normalized.value, channel: channel as SuppressionChannel, reason };
}

/** One CSV field, quoted when it must be; a leading formula character is neutralised for spreadsheets. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^\+\d+$/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) || safe !== value ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
