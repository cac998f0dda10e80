-- journeyEntryCounts
SELECT journey_id,
            count(*)::int AS entered,
            count(*) FILTER (WHERE state <> 'done')::int AS in_flight,
            count(*) FILTER (WHERE outcome = 'goal_reached')::int AS goal_reached
     FROM journey_entries
     WHERE journey_id = ANY($1::uuid[])
     GROUP BY journey_id;
