-- The request state on the subscriber's partition (issue 21): on a partitioned layout the
-- proxy routes the request statements (sql/proxy.sql), so that subscriber_state,
-- request_pending and the audit live on the partition of the key they are about, beside its
-- presence. What this migration adds is what that routing needs on every database; a single
-- node runs it as it is. The proxy had kept the request state until now, and its retention
-- asked the partitions which keys they held before it expired a state (migration 260): the
-- partitions' own retention expires their states now, as a single node does.
DROP FUNCTION itin_keys_held(text[]);

-- A request's id names its partition: partition p of N records ids p, p + N, p + 2N ...
-- (`itinerad-db migrate` calls this on each partition of the map), so that the statements that
-- know a request by its id only (the "sent" mark, a row put back) reach its partition:
-- itin_id_partition(id) & (N - 1) = p, as PL/Proxy's RUN ON takes the low bits. The ids stay
-- unique across partitions; their order is not the order of the requests across partitions,
-- which nothing needs (the start-up read pages by id, the sweep compares times). Idempotent:
-- a partition already numbered so is left alone; the next id is above every id it has.
CREATE FUNCTION itin_request_ids_partition(p_partition integer, p_partitions integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	s pg_sequences;
	next bigint;
BEGIN
	SELECT * INTO s FROM pg_sequences
	WHERE format('%I.%I', schemaname, sequencename)::regclass =
	      pg_get_serial_sequence('request_pending', 'id')::regclass;
	IF s.increment_by = p_partitions
	   AND coalesce(s.last_value, s.start_value) % p_partitions = p_partition THEN
		RETURN;
	END IF;
	next := greatest(coalesce(s.last_value, 0), (SELECT coalesce(max(id), 0) FROM request_pending))
		+ 1;
	next := next + ((p_partition - next % p_partitions) + p_partitions) % p_partitions;
	IF next < 1 THEN
		next := next + p_partitions;
	END IF;
	EXECUTE format('ALTER TABLE request_pending ALTER COLUMN id SET INCREMENT BY %s '
		       'RESTART WITH %s', p_partitions, next);
END
$$;

CREATE FUNCTION itin_id_partition(p_id bigint) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT (p_id & 2147483647)::integer
$$;

-- itin_key_hash (migration 195) of a key given as octets.
CREATE FUNCTION itin_key_hash(p_key bytea) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT itin_key_hash(encode(substr(p_key, 1, 4), 'hex'))
$$;

-- The highest request id recorded: the bound of the start-up read (service/request.c), which
-- the daemon read from the table itself before.
CREATE FUNCTION itin_pending_bound() RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce(max(id), 0) FROM request_pending
$$;

-- p_owner's pending requests received before the Unix second p_before, but those of p_held,
-- at most p_limit in id order: the sweep's read (service/request.c), a statement of the daemon
-- before (db/request_inputs.h).
CREATE FUNCTION itin_instance_orphans(p_owner text, p_before bigint, p_held bigint[],
				      p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql STABLE AS $$
	SELECT p.id, p.key, p.channel, p.intent, p.action, p.lang,
	       extract(epoch FROM p.received_at)::bigint, p.reply_to
	FROM request_pending p
	WHERE p.owner = p_owner AND p.received_at < to_timestamp(p_before) AND p.id <> ALL (p_held)
	ORDER BY p.id LIMIT p_limit;
$$;

-- Up to p_limit pending requests of no instance of p_live (or of none), moved to p_name: the
-- take-over of migration 100 with the live instances given, so that a partition, which has no
-- leases, can run it for the proxy, which has them.
CREATE FUNCTION itin_instance_take_over_from(p_name text, p_live text[], p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql AS $$
	UPDATE request_pending p SET owner = p_name
	FROM (SELECT r.id FROM request_pending r
	      WHERE r.owner IS DISTINCT FROM p_name
		AND (r.owner IS NULL OR r.owner <> ALL (p_live))
	      ORDER BY r.id LIMIT p_limit FOR UPDATE OF r SKIP LOCKED) t
	WHERE p.id = t.id
	RETURNING p.id, p.key, p.channel, p.intent, p.action, p.lang,
		  extract(epoch FROM p.received_at)::bigint, p.reply_to;
$$;

-- Migration 100's take-over, its lease check and the live instances read here, the rows moved
-- by itin_instance_take_over_from (on a partitioned layout, on every partition).
CREATE OR REPLACE FUNCTION itin_instance_take_over(p_name text, p_token bigint, p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql AS $$
	SELECT t.*
	FROM instance i
	CROSS JOIN LATERAL itin_instance_take_over_from(p_name,
		ARRAY(SELECT l.name FROM instance l WHERE l.lease_until >= now()), p_limit) t
	WHERE i.name = p_name AND i.token = p_token AND i.lease_until >= now();
$$;

-- On a proxy, the partitions being moved (contrib/shard/shard.sh move): the routed statements
-- write none of them meanwhile, so that the copy has every row; empty on any other database.
CREATE TABLE partition_moving (
	n integer PRIMARY KEY,
	since timestamptz NOT NULL DEFAULT now()
);
