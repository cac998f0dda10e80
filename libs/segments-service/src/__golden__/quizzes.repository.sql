-- insertQuiz
INSERT INTO quizzes (key, title, owner, current_version) VALUES ($1, $2, $3, 1)
     ON CONFLICT (key) WHERE deleted_at IS NULL DO NOTHING RETURNING id;
INSERT INTO quiz_versions (quiz_id, version, definition, created_by) VALUES ($1, 1, $2, $3);

-- lockQuiz
SELECT id FROM quizzes WHERE key = $1 AND deleted_at IS NULL FOR UPDATE;

-- updateQuiz
INSERT INTO quiz_versions (quiz_id, version, definition, created_by)
       SELECT id, current_version + 1, $2, $3 FROM quizzes WHERE id = $1;
UPDATE quizzes SET title = $2, owner = $3, current_version = current_version + $4, updated_at = now() WHERE id = $1;

-- findQuiz
SELECT q.id, q.key, q.title, q.owner, q.current_version, q.created_at, q.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM quizzes q JOIN quiz_versions v ON v.quiz_id = q.id AND v.version = q.current_version WHERE q.key = $1 AND q.deleted_at IS NULL;

-- listQuizzes
SELECT q.id, q.key, q.title, q.owner, q.current_version, q.created_at, q.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM quizzes q JOIN quiz_versions v ON v.quiz_id = q.id AND v.version = q.current_version WHERE q.deleted_at IS NULL ORDER BY q.key;

-- versionExists
SELECT EXISTS (SELECT 1 FROM quiz_versions WHERE quiz_id = $1 AND version = $2) AS found;

-- quizSubmissionCounts
WITH answers AS (SELECT (e.context -> 'quiz' ->> 'version')::int AS version, e.profile_id, e.context -> 'quiz' -> 'answers' AS answers FROM events e WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1)
     SELECT a.version, count(*)::int AS submissions, count(DISTINCT a.profile_id)::int AS respondents,
            coalesce((SELECT jsonb_agg(jsonb_build_object('question', q.question, 'answered', q.answered) ORDER BY q.question)
                        FROM (SELECT k.key AS question, count(*)::int AS answered
                                FROM answers b CROSS JOIN LATERAL jsonb_each(b.answers) k
                               WHERE b.version = a.version AND jsonb_typeof(k.value) <> 'null' GROUP BY k.key) q), '[]'::jsonb) AS answered
       FROM answers a GROUP BY a.version ORDER BY a.version;

-- quizOptionCounts
SELECT x.version, x.question, x.value #>> '{}' AS value, count(*)::int AS count
       FROM (SELECT (e.context -> 'quiz' ->> 'version')::int AS version, a.key AS question,
                    CASE WHEN jsonb_typeof(a.value) = 'array' THEN v.value ELSE a.value END AS value
               FROM events e CROSS JOIN LATERAL jsonb_each(e.context -> 'quiz' -> 'answers') a
               LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a.value) = 'array' THEN a.value ELSE '[]'::jsonb END) v ON true
              WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1) x
      WHERE jsonb_typeof(x.value) = 'string'
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3;

-- quizNumberStats
SELECT (e.context -> 'quiz' ->> 'version')::int AS version, a.key AS question, count(*)::int AS count,
            min((a.value)::numeric)::float8 AS min, max((a.value)::numeric)::float8 AS max, avg((a.value)::numeric)::float8 AS mean
       FROM events e CROSS JOIN LATERAL jsonb_each(e.context -> 'quiz' -> 'answers') a
      WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1 AND jsonb_typeof(a.value) = 'number'
      GROUP BY 1, 2 ORDER BY 1, 2;

-- softDeleteQuiz
UPDATE quizzes SET deleted_at = now(), updated_at = now() WHERE id = $1;
