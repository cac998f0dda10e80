-- segmentKeyExists
SELECT 1 AS "row_exists" FROM (SELECT 1 AS dummy_column) "dummy_table" WHERE EXISTS (SELECT 1 FROM "segments" "SegmentEntity" WHERE (("SegmentEntity"."key" = $1))) LIMIT 1;

-- insertSegment
INSERT INTO "segments"("id", "key", "name", "description", "owner", "refresh_cadence", "refit_cadence", "kpi", "status", "quality_thresholds", "current_version", "deleted_at", "created_at", "updated_at") VALUES (DEFAULT, $1, $2, DEFAULT, $3, $4, DEFAULT, DEFAULT, DEFAULT, $5, $6, DEFAULT, DEFAULT, DEFAULT) RETURNING "id", "description", "refresh_cadence", "status", "quality_thresholds", "current_version", "created_at", "updated_at";

-- insertVersion
INSERT INTO "segment_versions"("id", "segment_id", "version", "definition", "model", "created_by", "created_at") VALUES (DEFAULT, $1, $2, $3, $4, $5, DEFAULT) RETURNING "id", "created_at";

-- findLiveSegment
SELECT "SegmentEntity"."id" AS "SegmentEntity_id", "SegmentEntity"."key" AS "SegmentEntity_key", "SegmentEntity"."name" AS "SegmentEntity_name", "SegmentEntity"."description" AS "SegmentEntity_description", "SegmentEntity"."owner" AS "SegmentEntity_owner", "SegmentEntity"."refresh_cadence" AS "SegmentEntity_refresh_cadence", "SegmentEntity"."refit_cadence" AS "SegmentEntity_refit_cadence", "SegmentEntity"."kpi" AS "SegmentEntity_kpi", "SegmentEntity"."status" AS "SegmentEntity_status", "SegmentEntity"."quality_thresholds" AS "SegmentEntity_quality_thresholds", "SegmentEntity"."current_version" AS "SegmentEntity_current_version", "SegmentEntity"."deleted_at" AS "SegmentEntity_deleted_at", "SegmentEntity"."created_at" AS "SegmentEntity_created_at", "SegmentEntity"."updated_at" AS "SegmentEntity_updated_at" FROM "segments" "SegmentEntity" WHERE (("SegmentEntity"."id" = $1) AND ("SegmentEntity"."deleted_at" IS NULL)) LIMIT 1;

-- findLiveSegment (lock)
SELECT "SegmentEntity"."id" AS "SegmentEntity_id", "SegmentEntity"."key" AS "SegmentEntity_key", "SegmentEntity"."name" AS "SegmentEntity_name", "SegmentEntity"."description" AS "SegmentEntity_description", "SegmentEntity"."owner" AS "SegmentEntity_owner", "SegmentEntity"."refresh_cadence" AS "SegmentEntity_refresh_cadence", "SegmentEntity"."refit_cadence" AS "SegmentEntity_refit_cadence", "SegmentEntity"."kpi" AS "SegmentEntity_kpi", "SegmentEntity"."status" AS "SegmentEntity_status", "SegmentEntity"."quality_thresholds" AS "SegmentEntity_quality_thresholds", "SegmentEntity"."current_version" AS "SegmentEntity_current_version", "SegmentEntity"."deleted_at" AS "SegmentEntity_deleted_at", "SegmentEntity"."created_at" AS "SegmentEntity_created_at", "SegmentEntity"."updated_at" AS "SegmentEntity_updated_at" FROM "segments" "SegmentEntity" WHERE (("SegmentEntity"."id" = $1) AND ("SegmentEntity"."deleted_at" IS NULL)) LIMIT 1 FOR UPDATE;

-- saveSegment
SELECT "SegmentEntity"."id" AS "SegmentEntity_id", "SegmentEntity"."key" AS "SegmentEntity_key", "SegmentEntity"."name" AS "SegmentEntity_name", "SegmentEntity"."description" AS "SegmentEntity_description", "SegmentEntity"."owner" AS "SegmentEntity_owner", "SegmentEntity"."refresh_cadence" AS "SegmentEntity_refresh_cadence", "SegmentEntity"."refit_cadence" AS "SegmentEntity_refit_cadence", "SegmentEntity"."kpi" AS "SegmentEntity_kpi", "SegmentEntity"."status" AS "SegmentEntity_status", "SegmentEntity"."quality_thresholds" AS "SegmentEntity_quality_thresholds", "SegmentEntity"."current_version" AS "SegmentEntity_current_version", "SegmentEntity"."deleted_at" AS "SegmentEntity_deleted_at", "SegmentEntity"."created_at" AS "SegmentEntity_created_at", "SegmentEntity"."updated_at" AS "SegmentEntity_updated_at" FROM "segments" "SegmentEntity" WHERE "SegmentEntity"."id" IN ($1);
UPDATE "segments" SET "description" = $1, "updated_at" = CURRENT_TIMESTAMP WHERE "id" IN ($2) RETURNING "updated_at";

-- listLiveSegments
SELECT "SegmentEntity"."id" AS "SegmentEntity_id", "SegmentEntity"."key" AS "SegmentEntity_key", "SegmentEntity"."name" AS "SegmentEntity_name", "SegmentEntity"."description" AS "SegmentEntity_description", "SegmentEntity"."owner" AS "SegmentEntity_owner", "SegmentEntity"."refresh_cadence" AS "SegmentEntity_refresh_cadence", "SegmentEntity"."refit_cadence" AS "SegmentEntity_refit_cadence", "SegmentEntity"."kpi" AS "SegmentEntity_kpi", "SegmentEntity"."status" AS "SegmentEntity_status", "SegmentEntity"."quality_thresholds" AS "SegmentEntity_quality_thresholds", "SegmentEntity"."current_version" AS "SegmentEntity_current_version", "SegmentEntity"."deleted_at" AS "SegmentEntity_deleted_at", "SegmentEntity"."created_at" AS "SegmentEntity_created_at", "SegmentEntity"."updated_at" AS "SegmentEntity_updated_at" FROM "segments" "SegmentEntity" WHERE (("SegmentEntity"."deleted_at" IS NULL) AND ("SegmentEntity"."owner" = $1) AND ("SegmentEntity"."status" = $2)) ORDER BY "SegmentEntity"."created_at" ASC LIMIT 10 OFFSET 0;

-- findVersion
SELECT "SegmentVersionEntity"."id" AS "SegmentVersionEntity_id", "SegmentVersionEntity"."segment_id" AS "SegmentVersionEntity_segment_id", "SegmentVersionEntity"."version" AS "SegmentVersionEntity_version", "SegmentVersionEntity"."definition" AS "SegmentVersionEntity_definition", "SegmentVersionEntity"."model" AS "SegmentVersionEntity_model", "SegmentVersionEntity"."created_by" AS "SegmentVersionEntity_created_by", "SegmentVersionEntity"."created_at" AS "SegmentVersionEntity_created_at" FROM "segment_versions" "SegmentVersionEntity" WHERE (("SegmentVersionEntity"."segment_id" = $1) AND ("SegmentVersionEntity"."version" = $2)) LIMIT 1;

-- findVersionOrFail
SELECT "SegmentVersionEntity"."id" AS "SegmentVersionEntity_id", "SegmentVersionEntity"."segment_id" AS "SegmentVersionEntity_segment_id", "SegmentVersionEntity"."version" AS "SegmentVersionEntity_version", "SegmentVersionEntity"."definition" AS "SegmentVersionEntity_definition", "SegmentVersionEntity"."model" AS "SegmentVersionEntity_model", "SegmentVersionEntity"."created_by" AS "SegmentVersionEntity_created_by", "SegmentVersionEntity"."created_at" AS "SegmentVersionEntity_created_at" FROM "segment_versions" "SegmentVersionEntity" WHERE (("SegmentVersionEntity"."segment_id" = $1) AND ("SegmentVersionEntity"."version" = $2)) LIMIT 1;

-- currentVersionsOf
SELECT "SegmentVersionEntity"."id" AS "SegmentVersionEntity_id", "SegmentVersionEntity"."segment_id" AS "SegmentVersionEntity_segment_id", "SegmentVersionEntity"."version" AS "SegmentVersionEntity_version", "SegmentVersionEntity"."definition" AS "SegmentVersionEntity_definition", "SegmentVersionEntity"."model" AS "SegmentVersionEntity_model", "SegmentVersionEntity"."created_by" AS "SegmentVersionEntity_created_by", "SegmentVersionEntity"."created_at" AS "SegmentVersionEntity_created_at" FROM "segment_versions" "SegmentVersionEntity" WHERE (((("SegmentVersionEntity"."segment_id" = $1) AND ("SegmentVersionEntity"."version" = $2))));

-- versionsOf
SELECT "SegmentVersionEntity"."id" AS "SegmentVersionEntity_id", "SegmentVersionEntity"."segment_id" AS "SegmentVersionEntity_segment_id", "SegmentVersionEntity"."version" AS "SegmentVersionEntity_version", "SegmentVersionEntity"."definition" AS "SegmentVersionEntity_definition", "SegmentVersionEntity"."model" AS "SegmentVersionEntity_model", "SegmentVersionEntity"."created_by" AS "SegmentVersionEntity_created_by", "SegmentVersionEntity"."created_at" AS "SegmentVersionEntity_created_at" FROM "segment_versions" "SegmentVersionEntity" WHERE (("SegmentVersionEntity"."segment_id" = $1)) ORDER BY "SegmentVersionEntity"."version" ASC;

-- lockReferenceGraph
SELECT pg_advisory_xact_lock(hashtextextended('segment-reference-graph', 0));

-- liveCurrentDefinitions
SELECT s.id AS segment_id, s.key, s.refresh_cadence, v.definition FROM segments s
       LEFT JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL;

-- activeCurrentDefinitions
SELECT s.id, s.key, s.current_version AS version, v.definition FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL AND s.status = 'active' ORDER BY s.key;

-- scheduledSegments
SELECT s.id, s.refresh_cadence,
              greatest(s.created_at, coalesce((SELECT max(r.scheduled_for) FROM segment_runs r WHERE r.segment_id = s.id), s.created_at)) AS since
       FROM segments s
       WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refresh_cadence <> 'manual';

-- archiveSegment
UPDATE "segments" SET "deleted_at" = $1, "status" = $2, "updated_at" = CURRENT_TIMESTAMP WHERE ("id" = $3 AND "deleted_at" IS NULL);
