-- Least privilege (issue 17, finding 8): the daemon and the loader connect as roles of their
-- own, not as the owner of the schema. Who may do what is sql/grants.sql, applied by every
-- `itinerad-db migrate` after the migrations; this migration makes the roles and the
-- functions through which they reach what their grants do not show them.
--
--   itinerad_daemon   executes the request functions and the lookup; reads the data freshness,
--                     the risk list and its own pending requests; writes (not reads) the
--                     operator audit of `itinerad-db query`. No table of subscribers or
--                     presence is readable to it: a lookup by key is all it can get.
--   itinerad_loader   loads the feeds (writes cells, risk areas, subscribers, keys, presence)
--                     and runs the retention (the functions below), reads nothing of presence.
--   the owner         whoever runs `itinerad-db migrate`: owns every object, runs the DDL.
--
-- Roles belong to the cluster, grants to a database: a second database of the same cluster
-- finds the roles made and makes only its grants. Two databases migrating at once may both
-- see a role missing: the one that loses the race to make it takes it as made.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['itinerad_daemon', 'itinerad_loader'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			BEGIN
				EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL;
			END;
		END IF;
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r
			   AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)) THEN
			RAISE EXCEPTION 'role % has more than a login (superuser, createrole, createdb '
				'or bypassrls)', r
				USING HINT = format('ALTER ROLE %I NOSUPERUSER NOCREATEROLE NOCREATEDB '
						    'NOBYPASSRLS', r);
		END IF;
	END LOOP;
END
$$;

-- The lookup of sql/lookup.sql before this migration, for many keys at once, run as the owner:
-- the daemon's role reads presence only through it, one subscriber key at a time, knowing the
-- key. p_keys are hexadecimal (as the daemon's batches write them), p_first_days the first day
-- of each key's window, p_previous_keys each key under the previous secret during a key
-- rotation (migration 070), else NULL; rows come back led by the key's position in p_keys (from
-- 1). No row for a position: unknown subscriber. One row with a NULL day: known, nothing in the
-- window. The previous key is probed only when the current one misses: the append of UNION ALL
-- runs its branches in order and LIMIT 1 stops it at the first row, so a subscriber the loader
-- has seen since the rotation costs one index probe, as before it. Index probes only: the key,
-- the subscriber, then each presence table's (subscriber, day) range. PL/pgSQL with a generic plan,
-- so that the statement is planned once per connection: an SQL function's is planned at every
-- call, and PL/pgSQL's default (custom plans while they look cheaper) planned it at every call
-- too, which cost five times the lookup itself (0.5 of 0.6 ms for one key; 2,400 against
-- 12,000 lookups/s with pgbench). The generic plan is the same index probes. The fixed
-- search_path keeps a caller's objects out of it.
CREATE FUNCTION itin_lookup(p_keys text[], p_first_days date[], p_previous_keys text[])
RETURNS TABLE (i bigint, mask_sealed bytea, day integer, place integer, first_seen bigint,
	       last_seen bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT q.i, s.mask_sealed, p.day - DATE '1970-01-01', p.place,
		extract(epoch FROM p.first_seen)::bigint, extract(epoch FROM p.last_seen)::bigint
	FROM unnest(p_keys, p_first_days, p_previous_keys)
		WITH ORDINALITY AS q(key, first_day, previous_key, i)
	CROSS JOIN LATERAL (
		(SELECT c.subscriber FROM subscriber_key c WHERE c.key = decode(q.key, 'hex'))
		UNION ALL
		(SELECT v.subscriber FROM subscriber_key v WHERE v.key = decode(q.previous_key, 'hex'))
		LIMIT 1
	) k
	JOIN subscriber s ON s.id = k.subscriber
	LEFT JOIN LATERAL (
		SELECT h.day, h.place, h.first_seen, h.last_seen FROM presence_history h
		WHERE h.subscriber = k.subscriber AND h.day >= q.first_day
		UNION ALL
		SELECT r.day, r.place, r.first_seen, r.last_seen FROM presence_recent r
		WHERE r.subscriber = k.subscriber AND r.day >= q.first_day
	) p ON true
	ORDER BY q.i;
END
$$;

-- The daily swap of `itinerad-db retention` (db/db_retention.c says why a swap): the loader's
-- role may run it but may not create or drop tables, so it runs as the owner. Both presence
-- tables are rebuilt folded, the days from p_keep_from before p_today into presence_history,
-- p_today to p_last_day (the last day a load accepts: rows beyond it were loaded before loads
-- had bounds) into presence_recent; the old tables are dropped. The new presence_recent gets
-- the loader's grant of sql/grants.sql again (a new table has none). Returns the rows kept in
-- each.
CREATE FUNCTION itin_presence_swap(p_today date, p_keep_from date, p_last_day date)
RETURNS TABLE (history_rows bigint, recent_rows bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
	LOCK TABLE presence_recent IN SHARE ROW EXCLUSIVE MODE;
	CREATE TABLE presence_history_new (LIKE presence_recent);
	INSERT INTO presence_history_new
	SELECT subscriber, day, place, min(first_seen), max(last_seen), sum(events)::integer
	FROM (SELECT * FROM presence_history WHERE day >= p_keep_from
	      UNION ALL SELECT * FROM presence_recent WHERE day >= p_keep_from AND day < p_today) kept
	GROUP BY subscriber, day, place ORDER BY subscriber, day, place;
	ALTER TABLE presence_history_new ADD PRIMARY KEY (subscriber, day, place);
	CREATE TABLE presence_recent_new (LIKE presence_recent INCLUDING ALL);
	INSERT INTO presence_recent_new
	SELECT subscriber, day, place, min(first_seen), max(last_seen), sum(events)::integer
	FROM presence_recent WHERE day >= p_today AND day <= p_last_day
	GROUP BY subscriber, day, place ORDER BY subscriber, day, place;
	DROP TABLE presence_history;
	ALTER TABLE presence_history_new RENAME TO presence_history;
	ALTER INDEX presence_history_new_pkey RENAME TO presence_history_pkey;
	DROP TABLE presence_recent;
	ALTER TABLE presence_recent_new RENAME TO presence_recent;
	ALTER INDEX presence_recent_new_subscriber_day_idx RENAME TO presence_recent_subscriber_day_idx;
	GRANT INSERT ON presence_recent TO itinerad_loader;
	ANALYZE presence_history;
	ANALYZE presence_recent;
	history_rows := (SELECT count(*) FROM presence_history);
	recent_rows := (SELECT count(*) FROM presence_recent);
	RETURN NEXT;
END
$$;

-- After the swap, what identifies a subscriber goes with their last presence (retention, as the
-- loader's role, which reads no presence): subscribers without presence left, their keys, and
-- the state of keys that no subscriber holds whose last request is older than p_cutoff (the
-- first day kept). The daemon's request rules recreate a state row deleted under them (they
-- write by the row's version). The expired ids are held in a variable, not a temporary table:
-- the owner needs no TEMPORARY privilege. Returns the rows deleted from each table.
CREATE FUNCTION itin_identities_expire(p_cutoff timestamptz)
RETURNS TABLE (subscribers bigint, keys bigint, states bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	expired bigint[];
BEGIN
	SELECT coalesce(array_agg(s.id), '{}') INTO expired FROM subscriber s
	WHERE NOT EXISTS (SELECT 1 FROM presence_history p WHERE p.subscriber = s.id)
	AND NOT EXISTS (SELECT 1 FROM presence_recent p WHERE p.subscriber = s.id);
	DELETE FROM subscriber_key WHERE subscriber = ANY (expired);
	GET DIAGNOSTICS keys = ROW_COUNT;
	DELETE FROM subscriber WHERE id = ANY (expired);
	GET DIAGNOSTICS subscribers = ROW_COUNT;
	DELETE FROM subscriber_state s
	WHERE (s.last_message_at IS NULL OR s.last_message_at < p_cutoff)
	AND NOT EXISTS (SELECT 1 FROM subscriber_key k WHERE k.key = s.key);
	GET DIAGNOSTICS states = ROW_COUNT;
	RETURN NEXT;
END
$$;

-- A newest event time beyond p_newest (loaded before loads had bounds) becomes that of the
-- newest presence kept, or goes if none is left; the subquery runs only when the row
-- qualifies. As the owner: the loader's role reads no presence. Returns the rows set (0 or 1).
CREATE FUNCTION itin_feed_state_clamp(p_newest timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE feed_state SET newest_event = coalesce((SELECT max(last_seen)
		FROM (SELECT last_seen FROM presence_history UNION ALL
		      SELECT last_seen FROM presence_recent) kept WHERE last_seen <= p_newest),
		newest_event)
	WHERE feed = 'events' AND newest_event > p_newest;
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM feed_state WHERE feed = 'events' AND newest_event > p_newest;
	RETURN n;
END
$$;

-- The operator audit (migration 080) older than p_keep_days before p_today (UTC days), for
-- retention: the loader's role may delete those rows and no others, and reads none.
CREATE FUNCTION itin_operator_audit_expire(p_today date, p_keep_days integer)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	DELETE FROM operator_audit
	WHERE asked_at < (p_today - p_keep_days)::timestamp AT TIME ZONE 'UTC';
$$;

-- Nobody's until sql/grants.sql, which this same migrate applies next: a function that runs
-- as the owner must not be everyone's in between.
REVOKE EXECUTE ON FUNCTION itin_lookup, itin_presence_swap, itin_identities_expire,
	itin_feed_state_clamp, itin_operator_audit_expire FROM PUBLIC;
