-- The two statements of a loop turn that write after the begin (issue 20, item 2): the "sent"
-- mark (migration 160) and the verification codes (migration 187) were SQL functions, and
-- PostgreSQL plans an SQL function's body at every call (it does not inline one that writes):
-- 120-150 µs of parsing and planning per call here, as much as marking 50 replies, paid once
-- per loop turn and connection, so the more a quiet machine lets the daemon answer in small
-- turns, the more of its time went to planning. PL/pgSQL keeps the plan of its statements per
-- connection, and a generic plan (as itin_lookup, migration 090) is planned once: the
-- statements are index probes by id and INSERTs, whatever the arrays hold. A plan kept for the
-- connection's life must not depend on the size request_pending had when it was made: planned
-- while the table was nearly empty (a daemon's start, or statistics taken then), the DELETE
-- read all of request_pending for every batch (a sequential scan joined to the ids: 1.9 ms a
-- batch instead of 0.25 ms as the table grew); with sequential scans off, as for the begin
-- (migration 053), it probes the primary key for each id. Same signatures, same results, same
-- rows written; sql/grants.sql sets their owner rights and search_path again after the
-- migration, as before.

CREATE OR REPLACE FUNCTION itin_requests_sent(p_owner text, p_ids bigint[], p_parts smallint[],
					      p_actions smallint[], p_at timestamptz)
RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
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
END
$$;

CREATE OR REPLACE FUNCTION itin_verify_issue_batch(p_hash text[], p_holder text[], p_at bigint[],
						   p_valid interval, p_shown text[])
RETURNS integer LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	stored integer;
BEGIN
	INSERT INTO verify_code (code_hash, holder, issued_at, expires_at, shown)
	SELECT decode(h, 'hex'), decode(o, 'hex'), to_timestamp(a), to_timestamp(a) + p_valid,
	       decode(s, 'hex')
	FROM unnest(p_hash, p_holder, p_at, p_shown) AS u(h, o, a, s);
	GET DIAGNOSTICS stored = ROW_COUNT;
	RETURN stored;
END
$$;
