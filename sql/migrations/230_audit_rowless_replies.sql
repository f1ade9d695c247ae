-- Every reply has its audit row (issue 20: "never acceptable: an unaudited reply"). A request
-- with a row of its own gets its audit row when its reply is marked sent (migration 160); the
-- others are audited on their own, in bulk, by the daemon (db/request_unrecorded.c): the busy
-- text of a request the database could not record (migration 111), and, from now on, the
-- requests that never have a row: a verification check or a holder's void (migration 185),
-- answered at once or from the database's answer, and a dispute (migration 186). Their
-- action is no longer always 10 "busy": it comes with each row.
DROP FUNCTION itin_audit_unrecorded(text[], smallint[], smallint[], bigint[], bigint[], smallint[]);
CREATE FUNCTION itin_audit_unrecorded(p_keys text[], p_channels smallint[],
				      p_intents smallint[], p_actions smallint[], p_received bigint[],
				      p_answered bigint[], p_parts smallint[])
RETURNS void LANGUAGE sql AS $$
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	SELECT decode(k, 'hex'), to_timestamp(r), to_timestamp(a), c, i, x, p
	FROM unnest(p_keys, p_channels, p_intents, p_actions, p_received, p_answered, p_parts)
		AS u(k, c, i, x, r, a, p);
$$;
REVOKE ALL ON FUNCTION itin_audit_unrecorded FROM PUBLIC;
