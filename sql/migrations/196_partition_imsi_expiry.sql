-- A partition's IMSI keys (migration 195) expire too (issue 21). On a single node an IMSI key
-- goes with its holder's subscriber id; on a partition it names its holder by MSISDN key, whose
-- partition is another, so retention cannot see there whether the holder still has presence.
-- It goes instead once its holder has not been seen with it for the window: the partitioned
-- loader keeps imsi_seen within a day of the holder's last use (db_load_events.c), so such a
-- key is deleted when imsi_seen is more than a day before the first day kept. Otherwise
-- itin_identities_expire is migration 090's, and finds nothing of this kind on a single node.
CREATE OR REPLACE FUNCTION itin_identities_expire(p_cutoff timestamptz)
RETURNS TABLE (subscribers bigint, keys bigint, states bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	expired bigint[];
	imsi_keys bigint;
BEGIN
	SELECT coalesce(array_agg(s.id), '{}') INTO expired FROM subscriber s
	WHERE NOT EXISTS (SELECT 1 FROM presence_history p WHERE p.subscriber = s.id)
	AND NOT EXISTS (SELECT 1 FROM presence_recent p WHERE p.subscriber = s.id);
	DELETE FROM subscriber_key WHERE subscriber = ANY (expired);
	GET DIAGNOSTICS keys = ROW_COUNT;
	DELETE FROM subscriber_key
	WHERE holder_key IS NOT NULL AND imsi_seen < p_cutoff - interval '1 day';
	GET DIAGNOSTICS imsi_keys = ROW_COUNT;
	keys := keys + imsi_keys;
	DELETE FROM subscriber WHERE id = ANY (expired);
	GET DIAGNOSTICS subscribers = ROW_COUNT;
	DELETE FROM subscriber_state s
	WHERE (s.last_message_at IS NULL OR s.last_message_at < p_cutoff)
	AND NOT EXISTS (SELECT 1 FROM subscriber_key k WHERE k.key = s.key);
	GET DIAGNOSTICS states = ROW_COUNT;
	RETURN NEXT;
END
$$;
