import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23, priority lists: ordered groups of segments (position 1 highest) in which each profile
 * belongs only to the highest entry it qualifies for, and `activations.priority_list_id`: an
 * activation targeting its segment's entry delivers only to that entry's exclusive members.
 */
export class PriorityLists1796900200000 implements MigrationInterface {
  name = 'PriorityLists1796900200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "priority_lists" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_33f17e1b332eeaee4edd4ceec3d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_priority_lists_key" ON "priority_lists" ("key") `);
    await queryRunner.query(
      `CREATE TABLE "priority_list_entries" ("list_id" uuid NOT NULL, "position" integer NOT NULL, "segment_id" uuid NOT NULL, CONSTRAINT "chk_priority_list_entries_position" CHECK ("position" >= 1), CONSTRAINT "PK_b257c3f556a7dff1fd0c81fbb3e" PRIMARY KEY ("list_id", "position"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_priority_list_entries_segment" ON "priority_list_entries" ("segment_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_priority_list_entries_segment" ON "priority_list_entries" ("list_id", "segment_id") `);
    await queryRunner.query(`ALTER TABLE "activations" ADD "priority_list_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "priority_list_entries" ADD CONSTRAINT "fk_priority_list_entries_list" FOREIGN KEY ("list_id") REFERENCES "priority_lists"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "priority_list_entries" ADD CONSTRAINT "fk_priority_list_entries_segment" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "activations" ADD CONSTRAINT "fk_activations_priority_list" FOREIGN KEY ("priority_list_id") REFERENCES "priority_lists"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "activations" DROP CONSTRAINT "fk_activations_priority_list"`);
    await queryRunner.query(`ALTER TABLE "priority_list_entries" DROP CONSTRAINT "fk_priority_list_entries_segment"`);
    await queryRunner.query(`ALTER TABLE "priority_list_entries" DROP CONSTRAINT "fk_priority_list_entries_list"`);
    await queryRunner.query(`ALTER TABLE "activations" DROP COLUMN "priority_list_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_priority_list_entries_segment"`);
    await queryRunner.query(`DROP INDEX "public"."idx_priority_list_entries_segment"`);
    await queryRunner.query(`DROP TABLE "priority_list_entries"`);
    await queryRunner.query(`DROP INDEX "public"."uq_priority_lists_key"`);
    await queryRunner.query(`DROP TABLE "priority_lists"`);
  }
}
