-- insertAuditEntry
INSERT INTO "audit_log"("id", "actor_key_id", "action", "object_type", "object_id", "details", "at") VALUES (DEFAULT, $1, $2, $3, $4, $5, DEFAULT) RETURNING "id", "at";

-- listAuditEntries
SELECT "AuditLogEntity"."id" AS "AuditLogEntity_id", "AuditLogEntity"."actor_key_id" AS "AuditLogEntity_actor_key_id", "AuditLogEntity"."action" AS "AuditLogEntity_action", "AuditLogEntity"."object_type" AS "AuditLogEntity_object_type", "AuditLogEntity"."object_id" AS "AuditLogEntity_object_id", "AuditLogEntity"."details" AS "AuditLogEntity_details", "AuditLogEntity"."at" AS "AuditLogEntity_at" FROM "audit_log" "AuditLogEntity" WHERE (("AuditLogEntity"."object_type" = $1) AND ("AuditLogEntity"."object_id" = $2) AND ("AuditLogEntity"."actor_key_id" = $3) AND ("AuditLogEntity"."action" = $4)) ORDER BY "AuditLogEntity"."id" DESC LIMIT 10 OFFSET 0;
