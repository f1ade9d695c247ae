-- What retention on a partitioned layout's proxy asks its partitions (issue 21). Two steps of
-- retention read what a single node holds beside its request state: the expiry of a
-- subscriber_state row (itin_identities_expire) keeps the row while its key is held, and the
-- clamp of a newest event time beyond the clock (itin_feed_state_clamp) takes the newest
-- presence kept. On the proxy the request state and the feed state are there but the keys and
-- the presence are on the partitions, so sql/proxy.sql replaces the two functions below with
-- PL/Proxy ones that ask every partition's, after the partitions' own retention
-- (daemon/itinerad_db.c). Every database has them, so that one schema serves both layouts: the
-- clamp reads the newest presence through itin_presence_newest on both (on a single node the
-- same query as before), and the proxy replaces only what it reads; the expiry of states is
-- the proxy's own (batches of keys asked remotely), and a single node's keeps its anti-join.
-- The owner's only: the proxy connects as its own owner.

-- Which of p_keys (hex, as the proxy routes them with itin_key_hash) a subscriber_key row holds.
CREATE FUNCTION itin_keys_held(p_keys text[]) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT u.k FROM unnest(p_keys) AS u(k)
	WHERE EXISTS (SELECT 1 FROM subscriber_key c WHERE c.key = decode(u.k, 'hex'))
$$;

-- The newest presence kept at or before p_newest (NULL when none): one row, so that the proxy
-- takes the newest of its partitions' rows.
CREATE FUNCTION itin_presence_newest(p_newest timestamptz) RETURNS SETOF timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
	SELECT max(last_seen)
	FROM (SELECT last_seen FROM presence_history UNION ALL
	      SELECT last_seen FROM presence_recent) kept WHERE last_seen <= p_newest
$$;

-- Migration 090's clamp, reading the newest presence kept through the function above.
CREATE OR REPLACE FUNCTION itin_feed_state_clamp(p_newest timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE feed_state SET newest_event = coalesce((SELECT max(t)
		FROM itin_presence_newest(p_newest) AS t), newest_event)
	WHERE feed = 'events' AND newest_event > p_newest;
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM feed_state WHERE feed = 'events' AND newest_event > p_newest;
	RETURN n;
END
$$;

REVOKE EXECUTE ON FUNCTION itin_keys_held, itin_presence_newest FROM PUBLIC;
