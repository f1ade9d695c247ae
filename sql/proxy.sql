-- The proxy database of a partitioned layout (issue 21; contrib/shard/shard.sh makes one).
-- It has the whole schema too: what is not per subscriber stays here (cells, risk list, feed
-- state and loads, the request state and audits of the daemon, the instances), and the
-- presence tables stay empty. Subscribers live on the partitions of PL/Proxy's cluster
-- 'itinerad', a foreign server whose options partition_0 .. partition_N-1 (N a power of two)
-- are the partitions' conninfos: the cluster map, read by PL/Proxy, `itinerad-db migrate`
-- (every partition gets the migrations) and the loader (which writes each partition).
-- `itinerad-db migrate` applies this file after sql/grants.sql whenever the database has that
-- server, so it replaces the single node's itin_lookup with the routed one every time, and
-- what retention reads of keys and presence with functions that ask the partitions (the clamp
-- of the feed's time reads itin_presence_newest on both layouts, migration 260).

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

-- What retention asks the partitions (migration 260): which of these keys they hold, each key
-- asked of its own partition, and the newest presence each keeps at or before a time.
CREATE OR REPLACE FUNCTION itin_keys_held(p_keys text[]) RETURNS SETOF text
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	SPLIT p_keys;
	RUN ON itin_key_hash(p_keys);
$$;

CREATE OR REPLACE FUNCTION itin_presence_newest(p_newest timestamptz) RETURNS SETOF timestamptz
LANGUAGE plproxy AS $$
	CLUSTER 'itinerad';
	RUN ON ALL;
$$;

-- The single node's itin_identities_expire (migrations 090, 196), same argument and row, for
-- the proxy, which holds no subscriber, key or presence but the request state
-- (doc/manual/scale.md): the state of a key whose last request is older than p_cutoff goes
-- when no partition holds the key. `itinerad-db retention` runs it after the partitions'
-- retention (daemon/itinerad_db.c), so that the keys of a subscriber expired there are gone,
-- as on a single node, where the keys go first in the same function. The old states are asked
-- about 10,000 keys at a time: a national proxy holds hundreds of millions of them.
CREATE OR REPLACE FUNCTION itin_identities_expire(p_cutoff timestamptz)
RETURNS TABLE (subscribers bigint, keys bigint, states bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	batch text[];
	n bigint;
BEGIN
	subscribers := 0;
	keys := 0;
	states := 0;
	FOR batch IN
		SELECT array_agg(encode(o.key, 'hex'))
		FROM (SELECT s.key, (row_number() OVER () - 1) / 10000 AS b FROM subscriber_state s
		      WHERE s.last_message_at IS NULL OR s.last_message_at < p_cutoff) o
		GROUP BY o.b
	LOOP
		DELETE FROM subscriber_state s
		WHERE s.key IN (SELECT decode(k, 'hex') FROM unnest(batch) AS k)
		AND (s.last_message_at IS NULL OR s.last_message_at < p_cutoff)
		AND s.key NOT IN (SELECT decode(h, 'hex') FROM itin_keys_held(batch) AS h);
		GET DIAGNOSTICS n = ROW_COUNT;
		states := states + n;
	END LOOP;
	RETURN NEXT;
END
$$;

-- The routing functions run as the owner; the loader reads the cluster map and routes by it.
REVOKE ALL ON FUNCTION itin_partitions, itin_key_partitions, itin_lookup_part, itin_keys_held,
	itin_presence_newest FROM PUBLIC;
GRANT EXECUTE ON FUNCTION itin_partitions, itin_key_partitions TO itinerad_loader;
