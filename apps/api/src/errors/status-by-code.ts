/**
 * The one table from library exception codes to HTTP statuses. Libraries throw their own
 * `XxxException` (a `CodedException` from @audiencekit/util) with a code from their
 * `XxxExceptionCode` union and never speak HTTP; this file decides what each code means to an API
 * client. Each library's table is typed `satisfies Record<XxxExceptionCode, number>`, so adding a
 * code to a library without giving it a status here does not compile.
 *
 * How to add a library: export its `XxxExceptionCode` from the library, add a `const XXX_STATUS =
 * { … } satisfies Record<XxxExceptionCode, HttpStatusCode>` below and spread it into STATUS_BY_CODE.
 * Codes are unique across libraries (a test checks it).
 */
export type HttpStatusCode = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 422 | 429 | 503;

/** Every library's table, by library name (the test checks no code appears in two). */
export const STATUS_TABLES: Record<string, Record<string, HttpStatusCode>> = {};

export const STATUS_BY_CODE: Readonly<Record<string, HttpStatusCode>> = Object.assign({}, ...Object.values(STATUS_TABLES));
