-- An incoming concatenated SMS whose parts did not all come, and whose first part gives no
-- keyword, is not answered (doc/SPEC.md section 6): nothing says what the subscriber asked
-- (issue 19). Like every request it leaves an audit row: intent unknown (6), action 12
-- "incomplete", no part. The daemon writes it through this function, as it touches no table
-- itself (migration 090; the grant is in sql/grants.sql). No rule runs: the message counts
-- against no limit, changes no state.
CREATE FUNCTION itin_audit_incomplete(p_key bytea, p_channel smallint, p_at timestamptz)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	VALUES (p_key, p_at, p_at, p_channel, 6, 12, 0);
$$;
REVOKE ALL ON FUNCTION itin_audit_incomplete FROM PUBLIC;
