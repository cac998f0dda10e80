-- computedTraitsByKey
SELECT t.key, t.current_version AS version, v.definition
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
      WHERE t.deleted_at IS NULL AND t.key = ANY($1::text[]) ORDER BY t.key;

-- liveSegmentByKeyOrId
SELECT id, key FROM segments WHERE deleted_at IS NULL AND (key = $1 OR id::text = $1) ORDER BY key = $1 DESC LIMIT 1;

-- userIdOfProfile
SELECT value FROM identities WHERE profile_id = $1 AND type = 'user_id' ORDER BY id LIMIT 1;

-- firstSeenSummary
SELECT count(*)::int AS profiles, count(*) FILTER (WHERE first_seen_at IS NULL OR first_seen_at <= $1::timestamptz)::int AS seen_by,
            min(first_seen_at) AS earliest
       FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL;
