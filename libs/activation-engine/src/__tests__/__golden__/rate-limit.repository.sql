-- reserveSlot
SELECT rate_limit_reserve($1::text[], $2::float8[]) AS wait_ms;

-- blockKeys
INSERT INTO rate_limits AS r (key, blocked_until) SELECT k, clock_timestamp() + make_interval(secs => $2::float8 / 1000.0) FROM unnest($1::text[]) k ORDER BY k
     ON CONFLICT (key) DO UPDATE SET blocked_until = greatest(r.blocked_until, excluded.blocked_until), updated_at = now();

-- blockedForMs
SELECT greatest(0, extract(epoch FROM max(blocked_until) - clock_timestamp()) * 1000) AS ms FROM rate_limits WHERE key = ANY($1::text[]);

-- limiterState
SELECT extract(epoch FROM next_at - clock_timestamp()) * 1000 AS next_in_ms, extract(epoch FROM blocked_until - clock_timestamp()) * 1000 AS blocked_for_ms
     FROM rate_limits WHERE key = $1;
