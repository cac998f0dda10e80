-- insertListEntries
INSERT INTO segment_list_entries (segment_id, version, value)
         SELECT $1::uuid, $2::int, v FROM unnest($3::text[]) AS v ON CONFLICT DO NOTHING;

-- unmatchedListValues
SELECT l.value FROM segment_list_entries l
       WHERE l.segment_id = $1 AND l.version = $2
         AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.type = $3 AND i.value = l.value);

-- countListEntries
SELECT count(*) AS count FROM segment_list_entries WHERE segment_id = $1 AND version = $2;
