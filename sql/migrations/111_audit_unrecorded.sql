-- A request the database could not record (it was down, or did not answer within the reply
-- deadline) is answered with the busy text (doc/SPEC.md section 5). That reply is audited
-- like every other: the daemon keeps its row and writes it, in bulk, once the database takes
-- it again (db/request_unrecorded.c). Action 10 "busy"; no rule runs, no state changes.
CREATE FUNCTION itin_audit_unrecorded(p_keys text[], p_channels smallint[],
				      p_intents smallint[], p_received bigint[], p_answered bigint[],
				      p_parts smallint[])
RETURNS void LANGUAGE sql AS $$
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	SELECT decode(k, 'hex'), to_timestamp(r), to_timestamp(a), c, i, 10, p
	FROM unnest(p_keys, p_channels, p_intents, p_received, p_answered, p_parts)
		AS u(k, c, i, r, a, p);
$$;
REVOKE ALL ON FUNCTION itin_audit_unrecorded FROM PUBLIC;
