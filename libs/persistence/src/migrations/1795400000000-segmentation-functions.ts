import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ak_try_timestamptz(text)`: the strict ISO 8601 parse that segment rules use for date traits and
 * properties. NULL (never an error) for anything that is not a real ISO date, so one malformed
 * trait cannot fail a whole refresh. The pattern is the same as ISO_TIMESTAMP_PATTERN in
 * libs/segments-domain/src/rules/values.ts; the differential test of the two evaluators keeps them equal.
 */
export class SegmentationFunctions1795400000000 implements MigrationInterface {
  name = 'SegmentationFunctions1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION ak_try_timestamptz(value text) RETURNS timestamptz
      LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $fn$
      BEGIN
        IF value !~ '^([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})(T([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\\.[0-9]{1,3})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$' THEN
          RETURN NULL;
        END IF;
        IF length(value) = 10 THEN
          value := value || 'T00:00:00Z';
        END IF;
        RETURN value::timestamptz;
      EXCEPTION WHEN others THEN
        RETURN NULL;
      END
      $fn$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ak_try_timestamptz(text)`);
  }
}
