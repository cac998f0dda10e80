-- availability
SELECT r.oid IS NOT NULL AS "exists",
            coalesce(r.rolsuper OR r.rolbypassrls, false) AS "privileged",
            CASE WHEN r.oid IS NULL THEN false ELSE pg_has_role(current_user, r.oid, 'MEMBER') END AS "canBecome",
            EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS "inheritsRoles",
            CASE WHEN r.oid IS NULL THEN false ELSE has_schema_privilege(r.oid, 'sql_traits', 'USAGE') END AS "usesViews",
            CASE WHEN r.oid IS NULL THEN true ELSE has_function_privilege(r.oid, 'pg_catalog.set_config(text, text, boolean)', 'EXECUTE') END AS "canSetConfig"
       FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1;

-- executeReadOnly
BEGIN READ ONLY;
SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true), set_config('search_path', $3, true);
SET LOCAL ROLE audiencekit_sql_traits_reader;
SAVEPOINT admin_text;
SELECT * FROM (
SELECT id AS profile_id, 1 AS n FROM profiles
) AS sql_trait_query LIMIT 0;
SELECT t.oid::int AS "oid", format_type(t.oid, NULL) AS "name" FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[]);
SELECT to_jsonb(sql_trait_query) AS "row" FROM (
SELECT id AS profile_id, 1 AS n FROM profiles
) AS sql_trait_query LIMIT 11;
ROLLBACK;
SELECT pg_advisory_unlock_all();

-- executeReadOnly (describe only)
BEGIN READ ONLY;
SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true), set_config('search_path', $3, true);
SET LOCAL ROLE audiencekit_sql_traits_reader;
SAVEPOINT admin_text;
SELECT * FROM (
SELECT id AS profile_id, 1 AS n FROM profiles
) AS sql_trait_query LIMIT 0;
SELECT t.oid::int AS "oid", format_type(t.oid, NULL) AS "name" FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[]);
ROLLBACK;
SELECT pg_advisory_unlock_all();

-- executeReadOnly (a syntax error, parsed alone)
BEGIN READ ONLY;
SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true), set_config('search_path', $3, true);
SET LOCAL ROLE audiencekit_sql_traits_reader;
SAVEPOINT admin_text;
SELECT * FROM (
SELEC 1
) AS sql_trait_query LIMIT 0;
ROLLBACK TO SAVEPOINT admin_text;
EXPLAIN (COSTS OFF) SELEC 1;
ROLLBACK;
SELECT pg_advisory_unlock_all();
