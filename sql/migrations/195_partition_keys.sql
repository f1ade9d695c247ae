-- Partitions (issue 21, contrib/shard/): every database has this, a partition of a proxy's
-- cluster or a single node alike, so that one schema serves both layouts.
--
-- A subscriber's presence, subscriber row and MSISDN key live on the partition of its MSISDN
-- key; an IMSI key lives on the partition of the IMSI key, which is usually another one. There
-- it cannot name the subscriber by id (ids are each partition's own): it names its holder's
-- MSISDN key instead (holder_key), and a lookup by IMSI is two routed steps (sql/proxy.sql).
-- A single node's loads go on writing subscriber ids; a partition's IMSI keys have holder_key
-- and no subscriber. NOT VALID: the rows written before are all of the first kind.
ALTER TABLE subscriber_key ADD COLUMN holder_key bytea,
	ALTER COLUMN subscriber DROP NOT NULL,
	ADD CONSTRAINT subscriber_key_one_holder
		CHECK ((subscriber IS NULL) <> (holder_key IS NULL)) NOT VALID;

-- The one definition of which partition a subscriber key belongs to: the integer PL/Proxy's
-- RUN ON takes (it keeps the low bits, hash & (partitions - 1), sql/proxy.sql), read from the
-- key's first four octets. The key is an HMAC: its octets are uniform, no further hashing is
-- needed. p_key in hex (encode(key, 'hex')), as the lookup passes keys.
CREATE FUNCTION itin_key_hash(p_key text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT ('x' || substr(p_key, 1, 8))::bit(32)::integer
$$;

-- A partition's side of the lookup (sql/proxy.sql routes to it). For each key found here, by
-- its position p_ords: an IMSI key whose holder lives by MSISDN key (holder_key) gives one row
-- with that key in hex and nothing else, for the proxy's second step; any other key gives the
-- rows itin_lookup gives. The owner's only: the proxy connects as its own owner.
CREATE FUNCTION itin_lookup_part(p_keys text[], p_first_days date[], p_ords bigint[])
RETURNS TABLE (i bigint, holder text, mask_sealed bytea, day integer, place integer,
	       first_seen bigint, last_seen bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT q.i, encode(c.holder_key, 'hex'), s.mask_sealed, p.day - DATE '1970-01-01', p.place,
		extract(epoch FROM p.first_seen)::bigint, extract(epoch FROM p.last_seen)::bigint
	FROM unnest(p_keys, p_first_days, p_ords) AS q(key, first_day, i)
	JOIN subscriber_key c ON c.key = decode(q.key, 'hex')
	LEFT JOIN subscriber s ON s.id = c.subscriber
	LEFT JOIN LATERAL (
		SELECT h.day, h.place, h.first_seen, h.last_seen FROM presence_history h
		WHERE h.subscriber = c.subscriber AND h.day >= q.first_day
		UNION ALL
		SELECT r.day, r.place, r.first_seen, r.last_seen FROM presence_recent r
		WHERE r.subscriber = c.subscriber AND r.day >= q.first_day
	) p ON true
	WHERE c.holder_key IS NOT NULL OR s.id IS NOT NULL
	ORDER BY q.i;
END
$$;
REVOKE EXECUTE ON FUNCTION itin_lookup_part FROM PUBLIC;
