/**
 * Longest vendor text stored (run errors, batch errors, rejection reasons). Vendors answer with
 * whole HTML pages or echo the request; every reader of a run masks PII in what it reads, so what
 * is stored bounds what each read costs.
 */
export const VENDOR_TEXT_MAX_CHARS = 2048;

/** The first 2 KB of a vendor text (never splitting a surrogate pair). */
export function truncateVendorText(text: string): string {
  if (text.length <= VENDOR_TEXT_MAX_CHARS) return text;
  const cut = text.slice(0, VENDOR_TEXT_MAX_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** An error entry with its `message` / `reason` cut to 2 KB and, when cut, `messageLength` / `reasonLength` (the original length). */
export function boundErrorEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const bounded = { ...entry };
  for (const field of ['message', 'reason']) {
    const text = entry[field];
    if (typeof text !== 'string' || text.length <= VENDOR_TEXT_MAX_CHARS) continue;
    bounded[field] = truncateVendorText(text);
    bounded[`${field}Length`] = text.length;
  }
  return bounded;
}

/** What a member's identifier becomes in a stored vendor text. */
export const REDACTED_IDENTIFIER = '[redacted]';

/**
 * `text` with every occurrence of the given identifiers (a batch's members' — vendors echo what
 * was sent, and a remove may be an erased person's last call) replaced, case-insensitively,
 * longest first so that no part of a longer one is left.
 */
export function redactMemberIdentifiers(text: string, identifiers: Iterable<string>): string {
  const values = [...new Set([...identifiers].filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return text;
  const pattern = new RegExp(values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  return text.replace(pattern, REDACTED_IDENTIFIER);
}
