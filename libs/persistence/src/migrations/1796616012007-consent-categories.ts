import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #19: operator-defined consent categories and the categories each destination requires
 * (see the entities). A profile's consent stays a trait (`consent.<key>`), so it is monotonic and
 * refused from client sources exactly like the channel consent before it.
 */
export class ConsentCategories1796616012007 implements MigrationInterface {
  name = 'ConsentCategories1796616012007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "consent_categories" ("key" text NOT NULL, "label" text NOT NULL, "description" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9c47f6b4b9be3b699be8e0fedf9" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "destination_consent_categories" ("destination_id" uuid NOT NULL, "category_key" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fca9e320eb5535455ea9568308e" PRIMARY KEY ("destination_id", "category_key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_destination_consent_categories_category" ON "destination_consent_categories" ("category_key") `,
    );
    await queryRunner.query(
      `ALTER TABLE "destination_consent_categories" ADD CONSTRAINT "FK_f5a898201dbeeb66d86a9ec7ff0" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "destination_consent_categories" ADD CONSTRAINT "FK_5f569953f12b7ef9b6710abf263" FOREIGN KEY ("category_key") REFERENCES "consent_categories"("key") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "destination_consent_categories" DROP CONSTRAINT "FK_5f569953f12b7ef9b6710abf263"`);
    await queryRunner.query(`ALTER TABLE "destination_consent_categories" DROP CONSTRAINT "FK_f5a898201dbeeb66d86a9ec7ff0"`);
    await queryRunner.query(`DROP INDEX "public"."idx_destination_consent_categories_category"`);
    await queryRunner.query(`DROP TABLE "destination_consent_categories"`);
    await queryRunner.query(`DROP TABLE "consent_categories"`);
  }
}
