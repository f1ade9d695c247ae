-- A lookup by IMSI key in one routed step when the key's holder lives on the same partition
-- (issue 21): migration 195's itin_lookup_part answered every IMSI key with its holder's
-- MSISDN key, which the proxy then looked up in a second routed step (sql/proxy.sql), even
-- when that step came back to the same partition: always so with one partition, for one IMSI
-- key in N with N partitions. A routed step costs a PL/Proxy round trip (a statement the
-- partition parses and plans, two process wake-ups): on this box 100 to 150 us of CPU, where the
-- lookup itself costs 50 (bench/shard.sh). Now the holder's rows come at once when its MSISDN
-- key is here, and the holder's key only when it is not. Same arguments and rows otherwise.
CREATE OR REPLACE FUNCTION itin_lookup_part(p_keys text[], p_first_days date[], p_ords bigint[])
RETURNS TABLE (i bigint, holder text, mask_sealed bytea, day integer, place integer,
	       first_seen bigint, last_seen bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT q.i, CASE WHEN s.id IS NULL THEN encode(c.holder_key, 'hex') END, s.mask_sealed,
		p.day - DATE '1970-01-01', p.place,
		extract(epoch FROM p.first_seen)::bigint, extract(epoch FROM p.last_seen)::bigint
	FROM unnest(p_keys, p_first_days, p_ords) AS q(key, first_day, i)
	JOIN subscriber_key c ON c.key = decode(q.key, 'hex')
	LEFT JOIN subscriber_key m ON m.key = c.holder_key
	LEFT JOIN subscriber s ON s.id = coalesce(c.subscriber, m.subscriber)
	LEFT JOIN LATERAL (
		SELECT h.day, h.place, h.first_seen, h.last_seen FROM presence_history h
		WHERE h.subscriber = s.id AND h.day >= q.first_day
		UNION ALL
		SELECT r.day, r.place, r.first_seen, r.last_seen FROM presence_recent r
		WHERE r.subscriber = s.id AND r.day >= q.first_day
	) p ON true
	WHERE c.holder_key IS NOT NULL OR s.id IS NOT NULL
	ORDER BY q.i;
END
$$;
