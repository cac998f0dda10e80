import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #20 (bench): statistics on the numeric reading of a computed trait's value, the exact
 * expression the rules compiler tests for `computed_trait` gt / gte / lt / lte / between. With them,
 * ANALYZE keeps a histogram of the numbers, and "spend_90d > 500" is estimated from it instead of a
 * fixed guess (which made the planner scan every profile; see segments-domain's README). Statistics
 * cost nothing on writes, unlike an expression index. TypeORM does not manage statistics objects,
 * so no entity change.
 */
export class ComputedTraitNumberStatistics1796950000000 implements MigrationInterface {
  name = 'ComputedTraitNumberStatistics1796950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE STATISTICS "computed_trait_values_number" ON (CASE WHEN jsonb_typeof(value) = 'number' THEN (value)::numeric END) FROM "computed_trait_values"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP STATISTICS "computed_trait_values_number"`);
  }
}
