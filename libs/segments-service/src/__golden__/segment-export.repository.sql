-- membersCsvCopySql
COPY (SELECT m.profile_id, (SELECT i.value FROM identities i WHERE i.profile_id = m.profile_id AND i.type = 'email' ORDER BY i.id LIMIT 1) AS email, (SELECT i.value FROM identities i WHERE i.profile_id = m.profile_id AND i.type = 'phone' ORDER BY i.id LIMIT 1) AS phone FROM segment_memberships m WHERE m.segment_id = '00000000-0000-4000-8000-000000000000' ORDER BY m.profile_id) TO STDOUT WITH (FORMAT csv, HEADER true);

-- insertExportAudit
INSERT INTO "audit_log"("id", "actor_key_id", "action", "object_type", "object_id", "details", "at") VALUES (DEFAULT, $1, $2, $3, $4, $5, DEFAULT) RETURNING "id", "at";
