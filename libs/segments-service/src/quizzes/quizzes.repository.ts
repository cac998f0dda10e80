import { EntityManager } from 'typeorm';

/** Every SQL string of `quizzes` and `quiz_versions` (migration 1797000000000-quizzes). */

export interface QuizRow {
  id: string;
  key: string;
  title: string;
  owner: string;
  current_version: number;
  created_at: Date;
  updated_at: Date;
  definition: Record<string, unknown>;
  version_created_at: Date;
  version_created_by: string | null;
}

const SELECT_QUIZ = `SELECT q.id, q.key, q.title, q.owner, q.current_version, q.created_at, q.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM quizzes q JOIN quiz_versions v ON v.quiz_id = q.id AND v.version = q.current_version`;

export async function findQuiz(manager: EntityManager, key: string): Promise<QuizRow | undefined> {
  const [row] = await manager.query(`${SELECT_QUIZ} WHERE q.key = $1 AND q.deleted_at IS NULL`, [key]);
  return row;
}

/** The live quiz with this key, locked for the transaction (a concurrent update waits). */
export async function lockQuiz(manager: EntityManager, key: string): Promise<{ id: string } | undefined> {
  const [row] = await manager.query(`SELECT id FROM quizzes WHERE key = $1 AND deleted_at IS NULL FOR UPDATE`, [key]);
  return row;
}

export async function listQuizzes(manager: EntityManager): Promise<QuizRow[]> {
  return manager.query(`${SELECT_QUIZ} WHERE q.deleted_at IS NULL ORDER BY q.key`);
}

/** Whether this quiz has (had) this version: tells an expired version from one that never existed. */
export async function versionExists(manager: EntityManager, quizId: string, version: number): Promise<boolean> {
  const [row] = await manager.query(`SELECT EXISTS (SELECT 1 FROM quiz_versions WHERE quiz_id = $1 AND version = $2) AS found`, [
    quizId,
    version,
  ]);
  return row.found === true;
}

/** Inserts the card and its version 1; undefined when a live quiz already has the key. */
export async function insertQuiz(
  manager: EntityManager,
  quiz: { key: string; title: string; owner: string },
  definition: unknown,
  createdBy: string | null,
): Promise<string | undefined> {
  const [row] = await manager.query(
    `INSERT INTO quizzes (key, title, owner, current_version) VALUES ($1, $2, $3, 1)
     ON CONFLICT (key) WHERE deleted_at IS NULL DO NOTHING RETURNING id`,
    [quiz.key, quiz.title, quiz.owner],
  );
  if (!row) return undefined;
  await manager.query(`INSERT INTO quiz_versions (quiz_id, version, definition, created_by) VALUES ($1, 1, $2, $3)`, [
    row.id,
    JSON.stringify(definition),
    createdBy,
  ]);
  return row.id;
}

/** Updates the card; with a definition, adds version current + 1 and makes it current. */
export async function updateQuiz(
  manager: EntityManager,
  id: string,
  card: { title: string; owner: string },
  definition: unknown | undefined,
  createdBy: string | null,
): Promise<void> {
  if (definition !== undefined) {
    await manager.query(
      `INSERT INTO quiz_versions (quiz_id, version, definition, created_by)
       SELECT id, current_version + 1, $2, $3 FROM quizzes WHERE id = $1`,
      [id, JSON.stringify(definition), createdBy],
    );
  }
  await manager.query(
    `UPDATE quizzes SET title = $2, owner = $3, current_version = current_version + $4, updated_at = now() WHERE id = $1`,
    [id, card.title, card.owner, definition === undefined ? 0 : 1],
  );
}

export async function softDeleteQuiz(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`UPDATE quizzes SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

const QUIZ_EVENTS = `FROM events e WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1`;

/** Per version: submissions, distinct respondents, and per question how many answered it. */
export async function quizSubmissionCounts(
  manager: EntityManager,
  key: string,
): Promise<{ version: number; submissions: number; respondents: number; answered: { question: string; answered: number }[] }[]> {
  return manager.query(
    `WITH answers AS (SELECT (e.context -> 'quiz' ->> 'version')::int AS version, e.profile_id, e.context -> 'quiz' -> 'answers' AS answers ${QUIZ_EVENTS})
     SELECT a.version, count(*)::int AS submissions, count(DISTINCT a.profile_id)::int AS respondents,
            coalesce((SELECT jsonb_agg(jsonb_build_object('question', q.question, 'answered', q.answered) ORDER BY q.question)
                        FROM (SELECT k.key AS question, count(*)::int AS answered
                                FROM answers b CROSS JOIN LATERAL jsonb_each(b.answers) k
                               WHERE b.version = a.version AND jsonb_typeof(k.value) <> 'null' GROUP BY k.key) q), '[]'::jsonb) AS answered
       FROM answers a GROUP BY a.version ORDER BY a.version`,
    [key],
  );
}

/** Per version and question: how often each option value was chosen (each element of a multi answer counts). */
export async function quizOptionCounts(
  manager: EntityManager,
  key: string,
): Promise<{ version: number; question: string; value: string; count: number }[]> {
  return manager.query(
    `SELECT x.version, x.question, x.value #>> '{}' AS value, count(*)::int AS count
       FROM (SELECT (e.context -> 'quiz' ->> 'version')::int AS version, a.key AS question,
                    CASE WHEN jsonb_typeof(a.value) = 'array' THEN v.value ELSE a.value END AS value
               FROM events e CROSS JOIN LATERAL jsonb_each(e.context -> 'quiz' -> 'answers') a
               LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a.value) = 'array' THEN a.value ELSE '[]'::jsonb END) v ON true
              WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1) x
      WHERE jsonb_typeof(x.value) = 'string'
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3`,
    [key],
  );
}

/** Per version and number question: count, min, max and mean of the answers. */
export async function quizNumberStats(
  manager: EntityManager,
  key: string,
): Promise<{ version: number; question: string; count: number; min: number; max: number; mean: number }[]> {
  return manager.query(
    `SELECT (e.context -> 'quiz' ->> 'version')::int AS version, a.key AS question, count(*)::int AS count,
            min((a.value)::numeric)::float8 AS min, max((a.value)::numeric)::float8 AS max, avg((a.value)::numeric)::float8 AS mean
       FROM events e CROSS JOIN LATERAL jsonb_each(e.context -> 'quiz' -> 'answers') a
      WHERE e.type = 'identify' AND e.context -> 'quiz' ->> 'key' = $1 AND jsonb_typeof(a.value) = 'number'
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [key],
  );
}
