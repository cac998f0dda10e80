// Types for embedded-postgres.mjs (plain ESM so the launcher runs it without a TypeScript step).
export interface EmbeddedServer {
  port: number;
  /** Where the data actually lives (as root, possibly in AK_EMBEDDED_PG_HOME rather than the folder asked for). */
  dataDir: string;
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** Called once if the server ends without stop(): the error names the data folder and the reason. */
  onUnexpectedExit(listener: (error: EmbeddedPostgresError) => void): void;
  stop(): Promise<void>;
}
export class EmbeddedPostgresError extends Error {
  readonly folder: string;
  readonly reason: string;
  constructor(folder: string, reason: string);
}
export function describeFailure(error: Error, when?: string): string;
export function findFreePort(): Promise<number>;
export function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  home?: string;
}): Promise<EmbeddedServer>;
