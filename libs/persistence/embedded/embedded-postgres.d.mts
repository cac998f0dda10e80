// Types for embedded-postgres.mjs (plain ESM so the launcher runs it without a TypeScript step).
export interface EmbeddedServer {
  port: number;
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}
export function findFreePort(): Promise<number>;
export function startEmbeddedPostgres(options: { dataDir: string; port?: number; log?: (line: string) => void }): Promise<EmbeddedServer>;
