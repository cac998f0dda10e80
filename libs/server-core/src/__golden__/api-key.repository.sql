-- insertApiKey
START TRANSACTION;
INSERT INTO "api_keys"("id", "name", "role", "trust", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at") VALUES (DEFAULT, $1, $2, $3, $4, $5, DEFAULT, DEFAULT, DEFAULT) RETURNING "id", "trust", "created_at";
COMMIT;

-- findActiveKeyByHash
SELECT "ApiKeyEntity"."id" AS "ApiKeyEntity_id", "ApiKeyEntity"."name" AS "ApiKeyEntity_name", "ApiKeyEntity"."role" AS "ApiKeyEntity_role", "ApiKeyEntity"."trust" AS "ApiKeyEntity_trust", "ApiKeyEntity"."prefix" AS "ApiKeyEntity_prefix", "ApiKeyEntity"."key_hash" AS "ApiKeyEntity_key_hash", "ApiKeyEntity"."created_at" AS "ApiKeyEntity_created_at", "ApiKeyEntity"."last_used_at" AS "ApiKeyEntity_last_used_at", "ApiKeyEntity"."revoked_at" AS "ApiKeyEntity_revoked_at" FROM "api_keys" "ApiKeyEntity" WHERE (("ApiKeyEntity"."key_hash" = $1) AND ("ApiKeyEntity"."revoked_at" IS NULL)) LIMIT 1;

-- touchApiKey
UPDATE "api_keys" SET "last_used_at" = $1 WHERE "id" IN ($2);

-- setApiKeyTrust
UPDATE "api_keys" SET "trust" = $1 WHERE ("id" = $2 AND "revoked_at" IS NULL);

-- listApiKeys
SELECT "ApiKeyEntity"."id" AS "ApiKeyEntity_id", "ApiKeyEntity"."name" AS "ApiKeyEntity_name", "ApiKeyEntity"."role" AS "ApiKeyEntity_role", "ApiKeyEntity"."trust" AS "ApiKeyEntity_trust", "ApiKeyEntity"."prefix" AS "ApiKeyEntity_prefix", "ApiKeyEntity"."key_hash" AS "ApiKeyEntity_key_hash", "ApiKeyEntity"."created_at" AS "ApiKeyEntity_created_at", "ApiKeyEntity"."last_used_at" AS "ApiKeyEntity_last_used_at", "ApiKeyEntity"."revoked_at" AS "ApiKeyEntity_revoked_at" FROM "api_keys" "ApiKeyEntity" WHERE (("ApiKeyEntity"."role" = $1) AND ("ApiKeyEntity"."trust" = $2) AND ("ApiKeyEntity"."revoked_at" IS NULL)) ORDER BY "ApiKeyEntity"."created_at" ASC LIMIT 10 OFFSET 0;

-- listApiKeys (revoked)
SELECT "ApiKeyEntity"."id" AS "ApiKeyEntity_id", "ApiKeyEntity"."name" AS "ApiKeyEntity_name", "ApiKeyEntity"."role" AS "ApiKeyEntity_role", "ApiKeyEntity"."trust" AS "ApiKeyEntity_trust", "ApiKeyEntity"."prefix" AS "ApiKeyEntity_prefix", "ApiKeyEntity"."key_hash" AS "ApiKeyEntity_key_hash", "ApiKeyEntity"."created_at" AS "ApiKeyEntity_created_at", "ApiKeyEntity"."last_used_at" AS "ApiKeyEntity_last_used_at", "ApiKeyEntity"."revoked_at" AS "ApiKeyEntity_revoked_at" FROM "api_keys" "ApiKeyEntity" WHERE ((NOT("ApiKeyEntity"."revoked_at" IS NULL))) ORDER BY "ApiKeyEntity"."created_at" ASC LIMIT 10 OFFSET 0;

-- revokeApiKey
UPDATE "api_keys" SET "revoked_at" = $1 WHERE ("id" = $2 AND "revoked_at" IS NULL);
