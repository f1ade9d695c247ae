-- The proxy database of a partitioned layout (issue 21; contrib/shard/shard.sh makes one).
-- It has the whole schema too: what is not per subscriber stays here (cells, risk list, feed
-- state and loads, the instances and their leases, the verification codes and the disputes),
-- and the tables of subscribers, presence, request state and audit stay empty. Subscribers,
-- their presence and their request state (migration 270) live on the partitions of PL/Proxy's
-- cluster 'itinerad', a foreign server whose options partition_0 .. partition_N-1 (N a power
-- of two) are the partitions' conninfos: the cluster map, read by PL/Proxy, `itinerad-db
-- migrate` (every partition gets the migrations) and the loader (which writes each partition).
-- `itinerad-db migrate` applies this file after sql/grants.sql whenever the database has that
-- server, so it replaces the single node's itin_lookup and request statements with routed
-- ones every time, and what retention reads of presence with a function that asks the
-- partitions (the clamp of the feed's time reads itin_presence_newest on both layouts,
-- migration 260).

-- The cluster map: partition number and conninfo, in order. The roles may not read the
-- server's options themselves (pg_foreign_server hides them from non-owners).
CREATE OR REPLACE FUNCTION itin_partitions() RETURNS TABLE (n integer, conninfo text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT substr(o.option_name, 11)::integer, o.option_value
	FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
	WHERE s.srvname = 'itinerad' AND o.option_name LIKE 'partition\_%'
	ORDER BY 1
$$;

-- The partition of each key (hex), as PL/Proxy picks it for RUN ON itin_key_hash(key): the
-- hash's low bits, hash & (N - 1). The loader routes its rows with this (db_load_events.c):
-- the hash is itin_key_hash (migration 195) and nothing else.
CREATE OR REPLACE FUNCTION itin_key_partitions(p_keys text[]) RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT coalesce(array_agg(itin_key_hash(u.k) & (m.n - 1) ORDER BY u.o), '{}')
	FROM unnest(p_keys) WITH ORDINALITY AS u(k, o), (SELECT count(*)::integer AS n
							  FROM itin_partitions()) m
$$;

-- One routed step of the lookup: the keys split by partition, each part run as the
-- partition's itin_lookup_part (migration 195), as this database's owner.
CREATE OR REPLACE FUNCTION itin_lookup_part(p_keys text[], p_first_days date[], p_ords bigint[])
RETURNS TABLE (i bigint, holder text, mask_sealed bytea, day integer, place integer,
	       first_seen bigint, last_seen bigint)
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	SPLIT p_keys, p_first_days, p_ords;
	RUN ON itin_key_hash(p_keys);
$$;

-- The single node's itin_lookup (migration 090), same arguments and rows, routed: the keys
-- to their partitions; those that are IMSI keys answer with their holder's MSISDN key, which
-- a second step looks up on its own partition (a USSD request, by IMSI, takes both; an SMS
-- one, by MSISDN, only the first). The previous keys of a key rotation are not probed: a
-- partitioned layout does not rotate keys (doc/manual/operator.md, "Partitions").
CREATE OR REPLACE FUNCTION itin_lookup(p_keys text[], p_first_days date[], p_previous_keys text[])
RETURNS TABLE (i bigint, mask_sealed bytea, day integer, place integer, first_seen bigint,
	       last_seen bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	WITH first AS MATERIALIZED (
		SELECT * FROM itin_lookup_part(p_keys, p_first_days,
			ARRAY(SELECT generate_series(1, cardinality(p_keys))::bigint))
	), holders AS MATERIALIZED (
		SELECT array_agg(f.holder ORDER BY f.i) AS keys,
			array_agg(p_first_days[f.i] ORDER BY f.i) AS days,
			array_agg(f.i ORDER BY f.i) AS ords
		FROM first f WHERE f.holder IS NOT NULL
	)
	SELECT f.i, f.mask_sealed, f.day, f.place, f.first_seen, f.last_seen
	FROM first f WHERE f.holder IS NULL
	UNION ALL
	SELECT s.i, s.mask_sealed, s.day, s.place, s.first_seen, s.last_seen
	FROM holders h CROSS JOIN LATERAL itin_lookup_part(h.keys, h.days, h.ords) s
	WHERE h.keys IS NOT NULL AND s.holder IS NULL
	ORDER BY 1;
END
$$;

-- What retention asks the partitions (migration 260): the newest presence each keeps at or
-- before a time.
CREATE OR REPLACE FUNCTION itin_presence_newest(p_newest timestamptz) RETURNS SETOF timestamptz
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
$$;

-- The request state (migration 270): each request statement of the daemon with its single
-- node's arguments and rows, run on the partitions. What is about one subscriber (the begin,
-- the audit rows without a request row) goes to the partition of its key, what is about one
-- request (the sent mark, a row put back) to the partition its id names, and the instance's
-- reads (the start-up read, the take-over, the sweep) to every partition, merged here. A
-- partition commits its part on its own (PL/Proxy's calls are autocommitted): a batch whose
-- statement fails here may have been recorded on some partitions, the in-doubt case of a
-- failover, which the sweep answers (doc/manual/operator.md, "High availability").
CREATE OR REPLACE FUNCTION itin_requests_begin_routed(p_ords integer[], p_owner text,
	p_keys text[], p_channels smallint[], p_intents smallint[], p_ats bigint[],
	p_messages text[], p_reply_tos text[], p_consents boolean[], p_default_lang smallint,
	p_consent_timeout interval, p_rate_count integer, p_rate_period interval,
	p_dedup interval, p_shutdown boolean)
RETURNS TABLE (i integer, request_id bigint, action smallint, lang smallint)
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	SPLIT p_ords, p_keys, p_channels, p_intents, p_ats, p_messages, p_reply_tos, p_consents;
	RUN ON itin_key_hash(p_keys);
	SELECT o.i, b.request_id, b.action, b.lang
	FROM itin_requests_begin(p_owner, p_keys, p_channels, p_intents, p_ats, p_messages,
				 p_reply_tos, p_consents, p_default_lang, p_consent_timeout,
				 p_rate_count, p_rate_period, p_dedup, p_shutdown)
		WITH ORDINALITY AS b(request_id, action, lang, n)
	JOIN unnest(p_ords) WITH ORDINALITY AS o(i, n) USING (n);
$$;

-- While a partition is being moved (partition_moving, migration 270), nothing is written to
-- it: a request of a subscriber on it gets a row of NULLs (not recorded: the daemon answers
-- as when the database is down) before anything is routed, and the statements about known
-- requests fail before anything is routed (the daemon marks sent again a second later, and
-- writes the audit rows of replies without a request row again). A begin in the same
-- transaction as such a statement fails with it after its partitions committed: the daemon's
-- sweep, which a failed begin asks for, answers those rows. shard.sh waits for the statements
-- in flight before it copies.
CREATE OR REPLACE FUNCTION itin_partitions_moving(p_partitions integer[]) RETURNS integer[]
LANGUAGE sql STABLE AS $$
	SELECT ARRAY(SELECT m.n FROM partition_moving m WHERE m.n = ANY (p_partitions) ORDER BY m.n)
$$;

CREATE OR REPLACE FUNCTION itin_partitions_mask() RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT count(*)::integer - 1 FROM itin_partitions()
$$;

-- Fails when one of the partitions (of keys, of request ids) is being moved.
CREATE OR REPLACE FUNCTION itin_partitions_not_moving(p_keys text[], p_ids bigint[])
RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
	moving integer[];
BEGIN
	IF NOT EXISTS (SELECT 1 FROM partition_moving) THEN
		RETURN;
	END IF;
	moving := itin_partitions_moving(ARRAY(
		SELECT itin_key_hash(k) & itin_partitions_mask() FROM unnest(p_keys) k
		UNION SELECT itin_id_partition(i) & itin_partitions_mask() FROM unnest(p_ids) i));
	IF moving <> '{}' THEN
		RAISE EXCEPTION 'partition % is being moved: not written now', moving[1]
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
END
$$;

-- The elements of p_array at the positions p_at, in that order; all of them if p_at is NULL.
CREATE OR REPLACE FUNCTION itin_elements(p_array anyarray, p_at integer[]) RETURNS anyarray
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_at IS NULL THEN p_array ELSE
		ARRAY(SELECT p_array[u.i] FROM unnest(p_at) WITH ORDINALITY AS u(i, o) ORDER BY u.o)
	END
$$;

CREATE OR REPLACE FUNCTION itin_requests_begin(p_owner text, p_keys text[],
	p_channels smallint[], p_intents smallint[], p_ats bigint[], p_messages text[],
	p_reply_tos text[], p_consents boolean[], p_default_lang smallint,
	p_consent_timeout interval, p_rate_count integer, p_rate_period interval,
	p_dedup interval, p_shutdown boolean)
RETURNS TABLE (request_id bigint, action smallint, lang smallint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	routed integer[];	-- the positions of the requests routed; NULL: all
BEGIN
	IF EXISTS (SELECT 1 FROM partition_moving) THEN
		routed := ARRAY(SELECT i FROM generate_subscripts(p_keys, 1) i
				WHERE itin_partitions_moving(ARRAY[itin_key_hash(p_keys[i]) &
								   itin_partitions_mask()]) = '{}'
				ORDER BY i);
	END IF;
	RETURN QUERY
	SELECT r.request_id, r.action, r.lang
	FROM (SELECT b.i, b.request_id, b.action, b.lang
	      FROM itin_requests_begin_routed(
			coalesce(routed, ARRAY(SELECT generate_series(1, cardinality(p_keys)))),
			p_owner, itin_elements(p_keys, routed),
			itin_elements(p_channels, routed), itin_elements(p_intents, routed),
			itin_elements(p_ats, routed), itin_elements(p_messages, routed),
			itin_elements(p_reply_tos, routed), itin_elements(p_consents, routed),
			p_default_lang, p_consent_timeout, p_rate_count, p_rate_period, p_dedup,
			p_shutdown) b
	      UNION ALL
	      SELECT i, NULL, NULL, NULL FROM generate_subscripts(p_keys, 1) i
	      WHERE routed IS NOT NULL AND i <> ALL (routed)) r
	ORDER BY r.i;
END
$$;

CREATE OR REPLACE FUNCTION itin_requests_sent_routed(p_owner text, p_ids bigint[],
	p_parts smallint[], p_actions smallint[], p_at timestamptz) RETURNS SETOF integer
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	SPLIT p_ids, p_parts, p_actions;
	RUN ON itin_id_partition(p_ids);
	SELECT 1 FROM itin_requests_sent(p_owner, p_ids, p_parts, p_actions, p_at);
$$;

CREATE OR REPLACE FUNCTION itin_requests_sent(p_owner text, p_ids bigint[], p_parts smallint[],
					      p_actions smallint[], p_at timestamptz)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT itin_partitions_not_moving('{}', p_ids);
	SELECT count(*) FROM itin_requests_sent_routed(p_owner, p_ids, p_parts, p_actions, p_at);
$$;

CREATE OR REPLACE FUNCTION itin_request_reopen_routed(p_owner text, p_id bigint, p_key bytea,
	p_channel smallint, p_intent smallint, p_action smallint, p_lang smallint, p_at bigint,
	p_reply_to bytea) RETURNS SETOF integer
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON itin_id_partition(p_id);
	SELECT 1 FROM itin_request_reopen(p_owner, p_id, p_key, p_channel, p_intent, p_action,
					  p_lang, p_at, p_reply_to);
$$;

CREATE OR REPLACE FUNCTION itin_request_reopen(p_owner text, p_id bigint, p_key bytea,
	p_channel smallint, p_intent smallint, p_action smallint, p_lang smallint, p_at bigint,
	p_reply_to bytea)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT itin_partitions_not_moving('{}', ARRAY[p_id]);
	SELECT count(*) FROM itin_request_reopen_routed(p_owner, p_id, p_key, p_channel, p_intent,
							p_action, p_lang, p_at, p_reply_to);
$$;

CREATE OR REPLACE FUNCTION itin_audit_incomplete_routed(p_key bytea, p_channel smallint,
	p_at timestamptz) RETURNS SETOF integer
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON itin_key_hash(p_key);
	SELECT 1 FROM itin_audit_incomplete(p_key, p_channel, p_at);
$$;

CREATE OR REPLACE FUNCTION itin_audit_incomplete(p_key bytea, p_channel smallint,
						 p_at timestamptz)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT itin_partitions_not_moving(ARRAY[encode(p_key, 'hex')], '{}');
	SELECT count(*) FROM itin_audit_incomplete_routed(p_key, p_channel, p_at);
$$;

CREATE OR REPLACE FUNCTION itin_audit_unrecorded_routed(p_keys text[], p_channels smallint[],
	p_intents smallint[], p_actions smallint[], p_received bigint[], p_answered bigint[],
	p_parts smallint[]) RETURNS SETOF integer
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	SPLIT p_keys, p_channels, p_intents, p_actions, p_received, p_answered, p_parts;
	RUN ON itin_key_hash(p_keys);
	SELECT 1 FROM itin_audit_unrecorded(p_keys, p_channels, p_intents, p_actions, p_received,
					    p_answered, p_parts);
$$;

CREATE OR REPLACE FUNCTION itin_audit_unrecorded(p_keys text[], p_channels smallint[],
	p_intents smallint[], p_actions smallint[], p_received bigint[], p_answered bigint[],
	p_parts smallint[])
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT itin_partitions_not_moving(p_keys, '{}');
	SELECT count(*) FROM itin_audit_unrecorded_routed(p_keys, p_channels, p_intents, p_actions,
							  p_received, p_answered, p_parts);
$$;

CREATE OR REPLACE FUNCTION itin_pending_bound_routed() RETURNS SETOF bigint
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
	SELECT itin_pending_bound();
$$;

CREATE OR REPLACE FUNCTION itin_pending_bound() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT coalesce(max(b), 0) FROM itin_pending_bound_routed() b;
$$;

CREATE OR REPLACE FUNCTION itin_instance_pending_routed(p_name text, p_after bigint,
	p_bound bigint, p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
	SELECT * FROM itin_instance_pending(p_name, p_after, p_bound, p_limit);
$$;

CREATE OR REPLACE FUNCTION itin_instance_pending(p_name text, p_after bigint, p_bound bigint,
						 p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT * FROM itin_instance_pending_routed(p_name, p_after, p_bound, p_limit) r
	ORDER BY r.id LIMIT p_limit;
$$;

-- Each partition moves its own share, at most p_limit rows: a take-over may answer more rows
-- at once than on a single node. None while a partition is being moved (the next renewal of
-- the lease tries again).
CREATE OR REPLACE FUNCTION itin_instance_take_over_routed(p_name text, p_live text[],
							  p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
	SELECT * FROM itin_instance_take_over_from(p_name, p_live, p_limit);
$$;

CREATE OR REPLACE FUNCTION itin_instance_take_over_from(p_name text, p_live text[],
							p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM partition_moving) THEN
		RAISE EXCEPTION 'a partition is being moved: no take-over now'
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN QUERY SELECT * FROM itin_instance_take_over_routed(p_name, p_live, p_limit);
END
$$;

CREATE OR REPLACE FUNCTION itin_instance_orphans_routed(p_owner text, p_before bigint,
	p_held bigint[], p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
	SELECT * FROM itin_instance_orphans(p_owner, p_before, p_held, p_limit);
$$;

CREATE OR REPLACE FUNCTION itin_instance_orphans(p_owner text, p_before bigint,
						 p_held bigint[], p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT * FROM itin_instance_orphans_routed(p_owner, p_before, p_held, p_limit) r
	ORDER BY r.id LIMIT p_limit;
$$;

-- The routing functions run as the owner; the loader reads the cluster map and routes by it.
REVOKE ALL ON FUNCTION itin_partitions, itin_key_partitions, itin_lookup_part,
	itin_presence_newest, itin_requests_begin_routed, itin_requests_sent_routed,
	itin_request_reopen_routed, itin_audit_incomplete_routed, itin_audit_unrecorded_routed,
	itin_pending_bound_routed, itin_instance_pending_routed, itin_instance_take_over_routed,
	itin_instance_take_over_from, itin_instance_orphans_routed, itin_partitions_moving,
	itin_partitions_mask, itin_partitions_not_moving, itin_elements FROM PUBLIC;
GRANT EXECUTE ON FUNCTION itin_partitions, itin_key_partitions TO itinerad_loader;
