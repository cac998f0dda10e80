import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// READMEs that agree with the code: every library under libs/ has a row in the root README's
// layout table (and no row names a folder that is gone), and every package under libs/, apps/
// and plugins/ has a README.md. A package is a folder with a project.json (nesting allowed,
// e.g. libs/activation-engine/engine).

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE_PARENTS = ['libs', 'apps', 'plugins'];

/** Folders (relative to `root`, with `/`) under `parent` that hold a project.json, up to three levels deep. */
export function packageFolders(root: string, parent: string, depth = 3): string[] {
  const found: string[] = [];
  const walk = (relative: string, level: number): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const child = `${relative}/${entry.name}`;
      if (existsSync(path.join(root, child, 'project.json'))) found.push(child);
      else if (level < depth) walk(child, level + 1);
    }
  };
  walk(parent, 1);
  return found.sort();
}

/** The first-column paths of the table under `## Layout` in a README (`libs/x`, `plugins/*`, `tools/`). */
export function layoutTablePaths(readme: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Layout'));
  if (!section) throw new Error('the README has no "## Layout" section');
  return section
    .split('\n')
    .map((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1])
    .filter((cell): cell is string => cell !== undefined)
    .map((cell) => cell.replace(/\/$/, ''));
}

/** Libraries with no row: a row is the folder itself, or `<parent>/*` covering the folders right under it. */
export function librariesWithoutRow(readme: string, libraries: string[]): string[] {
  const rows = new Set(layoutTablePaths(readme));
  return libraries.filter((folder) => !rows.has(folder) && !rows.has(`${path.posix.dirname(folder)}/*`));
}

/** Rows naming a libs/ or apps/ folder that does not exist (a library renamed or removed). */
export function staleRows(readme: string, root: string): string[] {
  return layoutTablePaths(readme).filter((row) => /^(libs|apps)\/[^*]+$/.test(row) && !existsSync(path.join(root, row)));
}

describe('the root README and the packages agree', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const libraries = packageFolders(ROOT, 'libs');

  it('finds the libraries and the layout rows (the checks below are not vacuous)', () => {
    expect(libraries.length).toBeGreaterThanOrEqual(14);
    expect(libraries).toEqual(expect.arrayContaining(['libs/util', 'libs/testing', 'libs/persistence']));
    expect(layoutTablePaths(readme)).toEqual(expect.arrayContaining(['apps/api', 'libs/util', 'plugins/*', 'tools']));
  });

  it('has a row in the root README layout table for every library under libs/ (and every app)', () => {
    expect(librariesWithoutRow(readme, [...libraries, ...packageFolders(ROOT, 'apps')])).toEqual([]);
  });

  it('has no row for a libs/ or apps/ folder that does not exist', () => {
    expect(staleRows(readme, ROOT)).toEqual([]);
  });

  it('has a README.md in every package under libs/, apps/ and plugins/', () => {
    const packages = PACKAGE_PARENTS.flatMap((parent) => packageFolders(ROOT, parent));
    expect(packages).toEqual(expect.arrayContaining(['apps/worker', 'plugins/sendgrid']));
    expect(packages.filter((folder) => !existsSync(path.join(ROOT, folder, 'README.md')))).toEqual([]);
  });

  it('fails when a row is missing or stale (on an edited copy of the README text)', () => {
    const withoutUtil = readme.replace(/^\| `libs\/util` \|.*\n/m, '');
    expect(withoutUtil).not.toBe(readme);
    expect(librariesWithoutRow(withoutUtil, libraries)).toEqual(['libs/util']);
    const renamed = readme.replace('| `libs/segments-service` |', '| `libs/segment-service` |');
    expect(librariesWithoutRow(renamed, libraries)).toEqual(['libs/segments-service']);
    expect(staleRows(renamed, ROOT)).toEqual(['libs/segment-service']);
    // A nested library is covered by its own row or by a `parent/*` row.
    expect(librariesWithoutRow(readme, ['libs/activation-engine/engine'])).toEqual(['libs/activation-engine/engine']);
    const withWing = readme.replace(/^(\| `libs\/util` \|.*\n)/m, '$1| `libs/activation-engine/*` | the activation wing |\n');
    expect(librariesWithoutRow(withWing, ['libs/activation-engine/engine'])).toEqual([]);
  });

  it('finds a package without a README in a folder tree', () => {
    // The real tree has none missing; the lookup itself is checked on a made-up tree in a temporary
    // folder (not in the workspace, where Nx would take its project.json files for projects).
    const fixture = mkdtempSync(path.join(tmpdir(), 'readme-layout-'));
    try {
      for (const [folder, withReadme] of [
        ['libs/documented', true],
        ['libs/undocumented', false],
        ['libs/nested/inner', true],
      ] as const) {
        mkdirSync(path.join(fixture, folder), { recursive: true });
        writeFileSync(path.join(fixture, folder, 'project.json'), '{}');
        if (withReadme) writeFileSync(path.join(fixture, folder, 'README.md'), '# probe\n');
      }
      expect(packageFolders(fixture, 'libs')).toEqual(['libs/documented', 'libs/nested/inner', 'libs/undocumented']);
      expect(packageFolders(fixture, 'libs').filter((folder) => !existsSync(path.join(fixture, folder, 'README.md')))).toEqual([
        'libs/undocumented',
      ]);
    } finally {
      rmSync(fixture, { recursive: true, force: true });
    }
  });
});
