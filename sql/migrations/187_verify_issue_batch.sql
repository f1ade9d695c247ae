-- The verification codes of one loop turn's replies stored by one statement (issue 25): one
-- commit, and one WAL flush, for the turn instead of one per reply. Arrays of equal length:
-- the codes' keyed hashes, their holders (hex, as the request batches pass keys), the issue
-- times (Unix s) and the sealed replies (hex); one validity for all.
CREATE FUNCTION itin_verify_issue_batch(p_hash text[], p_holder text[], p_at bigint[],
					p_valid interval, p_shown text[])
RETURNS integer LANGUAGE sql AS $$
	WITH stored AS (
		INSERT INTO verify_code (code_hash, holder, issued_at, expires_at, shown)
		SELECT decode(h, 'hex'), decode(o, 'hex'), to_timestamp(a),
		       to_timestamp(a) + p_valid, decode(s, 'hex')
		FROM unnest(p_hash, p_holder, p_at, p_shown) AS u(h, o, a, s)
		RETURNING 1)
	SELECT count(*)::integer FROM stored;
$$;
