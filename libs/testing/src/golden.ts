import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource, Logger } from 'typeorm';

/**
 * Golden files: compares `text` with the committed file at `path` (jest shows the diff), so a
 * change of generated SQL shows up in review. With `UPDATE_GOLDENS=1` it writes the file instead.
 * A golden shows that the text changed; it does not prove the text right (other tests do).
 * @example expectGolden(join(__dirname, '__golden__', 'vip.sql'), compileSegmentSql(vip, { now }).text)
 */
export function expectGolden(path: string, text: string): void {
  const content = text.endsWith('\n') ? text : `${text}\n`;
  if (process.env['UPDATE_GOLDENS'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: run the test with UPDATE_GOLDENS=1 and commit it`);
  expect(content).toBe(readFileSync(path, 'utf8'));
}

/**
 * The SQL text of every statement `work` sends through `dataSource` (TypeORM's generated SQL
 * included), in order, for repository goldens. Bind values are left out: ids and times differ
 * per run, the text does not.
 */
export async function captureSql<T>(dataSource: DataSource, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const target = dataSource as unknown as { logger: Logger };
  const original = target.logger;
  target.logger = new Proxy(original, {
    get: (logger, property: keyof Logger) =>
      property === 'logQuery'
        ? (query: string) => statements.push(query.trim())
        : typeof logger[property] === 'function'
          ? (logger[property] as (...args: unknown[]) => unknown).bind(logger)
          : logger[property],
  });
  try {
    return { result: await work(), statements };
  } finally {
    target.logger = original;
  }
}

/** Golden text of captured repository calls: one `-- name` section per call, its statements after it. */
export function sqlSections(sections: [name: string, statements: string[]][]): string {
  return sections.map(([name, statements]) => `-- ${name}\n${statements.map((statement) => `${statement};`).join('\n')}\n`).join('\n');
}
