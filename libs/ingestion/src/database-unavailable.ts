// SQLSTATE classes and codes that mean "the database cannot serve us right now" rather than "this
// statement is wrong": connection exceptions (08…), operator intervention (57P01 admin shutdown,
// 57P02 crash shutdown, 57P03 cannot connect now), too many connections (53300), a database that
// refuses connections (55000 with ALLOW_CONNECTIONS false) or is missing (3D000).
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /not currently accepting connections/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /connection is closed/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/**
 * True when `error` (a pg error, a TypeORM QueryFailedError wrapping one, or a socket error) means
 * the database is unreachable or refusing work, so the request may be retried later: the tracking
 * API answers 503 then, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, hops = 0; current && hops < 4; hops++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true;
    if (code === '55000' && /accepting connections/i.test(String(candidate.message))) return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(candidate.message as string)))
      return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}
