-- A reply is marked sent as soon as its parts are written to the SMSC (issue 20, item 2).
-- Before, an instance marked its answered requests done (itin_requests_done, migration 051)
-- only once the SMSC had accepted every part, gathered for 5 ms more: killed in between, the
-- reply had been sent and the row was still pending, and the peer that took the row over
-- (migration 100), or the instance itself after a restart, sent it again. Now the daemon
-- writes the parts and, in the same loop turn, sends the statement that makes the pending rows
-- audit rows: what is left to repeat is a kill between writing the parts and that commit,
-- one round trip to the database. Only the rows still the instance's are marked (a row a peer
-- took over is the peer's to answer and audit).
--
-- A reply marked sent that the SMSC then does not take (throttled, refused) is put back: its
-- row is pending again under its id, marked audited (its audit row was written already), so
-- that an instance killed while the SMSC holds it off answers it after all, from the row, and
-- the mark of that answer writes no second audit row.
ALTER TABLE request_pending ADD COLUMN audited boolean NOT NULL DEFAULT false;

-- The rows of p_ids still p_owner's: deleted, and audited unless they were already; p_parts
-- and p_actions as in itin_requests_done.
CREATE FUNCTION itin_requests_sent(p_owner text, p_ids bigint[], p_parts smallint[],
				   p_actions smallint[], p_at timestamptz)
RETURNS void LANGUAGE sql AS $$
	WITH answered AS (
		SELECT * FROM unnest(p_ids, p_parts, p_actions) AS a(id, parts, action)
	), sent AS (
		DELETE FROM request_pending p USING answered a
		WHERE p.id = a.id AND p.owner = p_owner
		RETURNING p.key, p.received_at, p.channel, p.intent,
			  coalesce(a.action, p.action) AS action, a.parts, p.audited
	)
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	SELECT key, received_at, p_at, channel, intent, action, parts FROM sent
	WHERE NOT audited;
$$;

-- A request marked sent whose reply the SMSC did not take, pending again for p_owner under
-- its id, audited already. p_reply_to: the sealed reply address, as itin_requests_begin took it.
CREATE FUNCTION itin_request_reopen(p_owner text, p_id bigint, p_key bytea, p_channel smallint,
				    p_intent smallint, p_action smallint, p_lang smallint,
				    p_at bigint, p_reply_to bytea)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO request_pending (id, key, channel, intent, action, lang, received_at, reply_to,
				     owner, audited)
	OVERRIDING SYSTEM VALUE
	VALUES (p_id, p_key, p_channel, p_intent, p_action, p_lang, to_timestamp(p_at), p_reply_to,
		p_owner, true)
	ON CONFLICT (id) DO NOTHING;
$$;
REVOKE ALL ON FUNCTION itin_requests_sent FROM PUBLIC;
REVOKE ALL ON FUNCTION itin_request_reopen FROM PUBLIC;
