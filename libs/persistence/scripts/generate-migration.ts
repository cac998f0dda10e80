// Writes a migration with the SQL that brings the database at DATABASE_URL (migrated to the
// latest version) in line with the entities. Review the file before committing it.
//   DATABASE_URL=postgres://... node -r @swc-node/register libs/persistence/scripts/generate-migration.ts Name
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDataSource, migrate } from '../src/data-source';

async function main(): Promise<void> {
  const name = process.argv[2];
  const url = process.env.DATABASE_URL;
  if (!name || !url) throw new Error('usage: DATABASE_URL=... generate-migration.ts <Name>');
  const dataSource = await createDataSource({ url }).initialize();
  await migrate(dataSource);
  const sql = await dataSource.driver.createSchemaBuilder().log();
  await dataSource.destroy();
  if (sql.upQueries.length === 0) {
    console.log('entities and migrations agree: nothing to generate');
    return;
  }
  const stamp = Date.now();
  const quote = (query: string) => '`' + query.replace(/`/g, '\\`') + '`';
  const up = sql.upQueries.map((q) => `    await queryRunner.query(${quote(q.query)});`).join('\n');
  const down = sql.downQueries
    .reverse()
    .map((q) => `    await queryRunner.query(${quote(q.query)});`)
    .join('\n');
  const file = path.join(__dirname, '../src/migrations', `${stamp}-${name}.ts`);
  writeFileSync(
    file,
    `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${stamp} implements MigrationInterface {\n  name = '${name}${stamp}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
  );
  console.log(`wrote ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
