-- readComputedValues
SELECT v.profile_id, jsonb_object_agg(v.key, v.value) AS computed
       FROM computed_trait_values v
      WHERE v.profile_id = ANY($1::uuid[]) AND v.key = ANY($2::text[])
      GROUP BY v.profile_id;
