-- Several itinerad processes on one database (issue 20): each pending request belongs to the
-- instance that recorded it, and each instance holds a lease on its name that it renews every
-- third of the lease. At start-up an instance answers its own pending requests only; a live
-- instance takes over the pending requests of an instance whose lease has run out and answers
-- them, once: the takeover moves the rows to the taker in one UPDATE under row locks
-- (SKIP LOCKED, so that two takers share the rows instead of waiting for each other).
--
-- token is drawn by each process at its start: a second process started with the same name
-- while the first one's lease runs waits for it to end instead of answering the same rows,
-- unless that process is gone: the name holds the host, and pid lets a restart on the same
-- host see that the previous process has died, and take its name at once (p_stale).

CREATE TABLE instance (
	name text PRIMARY KEY,
	token bigint NOT NULL,
	pid integer NOT NULL,
	lease_until timestamptz NOT NULL
);

-- The default is set by itin_requests_begin for its transaction (set_config below), so that
-- itin_request_begin records the owner without a parameter of its own. NULL (a row recorded
-- before this migration, or by itin_request_begin called alone): of no instance, any live one
-- takes it over.
ALTER TABLE request_pending ADD COLUMN owner text;
ALTER TABLE request_pending ALTER COLUMN owner
	SET DEFAULT nullif(current_setting('itin.owner', true), '');
-- No index on owner: the table holds the requests in flight only, read by owner at start and
-- at each renewal, and an index would be one more write for every request.

-- The lease of p_name for p_lease from now, taken or renewed (also from the process of token
-- p_stale, which the caller knows to be gone): lease_until NULL when another process holds the
-- name and its lease runs; holder_token and holder_pid: the holder before this call.
CREATE FUNCTION itin_instance_renew(p_name text, p_token bigint, p_lease interval,
				    p_pid integer, p_stale bigint)
RETURNS TABLE (lease_until timestamptz, holder_token bigint, holder_pid integer)
LANGUAGE sql AS $$
	WITH taken AS (
		INSERT INTO instance AS i (name, token, pid, lease_until)
		VALUES (p_name, p_token, p_pid, now() + p_lease)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token, pid = excluded.pid,
						 lease_until = excluded.lease_until
		WHERE i.token = excluded.token OR i.lease_until < now() OR i.token = p_stale
		RETURNING i.lease_until
	)
	SELECT (SELECT t.lease_until FROM taken t),
	       (SELECT h.token FROM instance h WHERE h.name = p_name),
	       (SELECT h.pid FROM instance h WHERE h.name = p_name);
$$;

-- p_name's lease ended (a clean stop, once its last requests are marked done): a peer takes
-- over what is left and the links it held at once, and a restart takes the name at once.
CREATE FUNCTION itin_instance_release(p_name text, p_token bigint)
RETURNS void LANGUAGE sql AS $$
	UPDATE instance SET lease_until = '-infinity' WHERE name = p_name AND token = p_token;
$$;

-- The pending requests of p_name with p_after < id <= p_bound, at most p_limit, in order.
-- FOR UPDATE: a takeover committing meanwhile has moved its rows, which then drop out here.
CREATE FUNCTION itin_instance_pending(p_name text, p_after bigint, p_bound bigint, p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql AS $$
	SELECT p.id, p.key, p.channel, p.intent, p.action, p.lang,
	       extract(epoch FROM p.received_at)::bigint, p.reply_to
	FROM request_pending p
	WHERE p.owner = p_name AND p.id > p_after AND p.id <= p_bound
	ORDER BY p.id LIMIT p_limit FOR UPDATE;
$$;

-- Up to p_limit pending requests of instances whose lease has run out (or of none), moved to
-- p_name if its own lease (token p_token) runs; the rows moved, to be answered by p_name.
CREATE FUNCTION itin_instance_take_over(p_name text, p_token bigint, p_limit integer)
RETURNS TABLE (id bigint, key bytea, channel smallint, intent smallint, action smallint,
	       lang smallint, received_at bigint, reply_to bytea)
LANGUAGE sql AS $$
	UPDATE request_pending p SET owner = p_name
	FROM (SELECT r.id FROM request_pending r
	      WHERE r.owner IS DISTINCT FROM p_name
		AND NOT EXISTS (SELECT 1 FROM instance i
				WHERE i.name = r.owner AND i.lease_until >= now())
	      ORDER BY r.id LIMIT p_limit FOR UPDATE OF r SKIP LOCKED) t
	WHERE p.id = t.id
	  AND EXISTS (SELECT 1 FROM instance i
		      WHERE i.name = p_name AND i.token = p_token AND i.lease_until >= now())
	RETURNING p.id, p.key, p.channel, p.intent, p.action, p.lang,
		  extract(epoch FROM p.received_at)::bigint, p.reply_to;
$$;

-- Links that one instance at a time may hold: osmo-hlr routes USSD to one connection per
-- EUSE name, so the instances that share a [gsup] link agree here on which of them connects.
-- The holder keeps it while its lease runs; then the first live instance to ask takes it.
CREATE TABLE link_holder (
	link text PRIMARY KEY,
	instance text NOT NULL
);

-- Whether p_name (token p_token, its lease running) holds p_link now, taking it if its
-- holder's lease ran out; NULL when another instance holds it.
CREATE FUNCTION itin_link_hold(p_link text, p_name text, p_token bigint)
RETURNS boolean LANGUAGE sql AS $$
	INSERT INTO link_holder AS h (link, instance)
	SELECT p_link, p_name
	WHERE EXISTS (SELECT 1 FROM instance i
		      WHERE i.name = p_name AND i.token = p_token AND i.lease_until >= now())
	ON CONFLICT (link) DO UPDATE SET instance = excluded.instance
	WHERE h.instance = excluded.instance
	   OR NOT EXISTS (SELECT 1 FROM instance i WHERE i.name = h.instance AND i.lease_until >= now())
	RETURNING true;
$$;

-- The batch of requests as in migration 056, recording p_owner as their instance.
DROP FUNCTION itin_requests_begin(text[], smallint[], smallint[], bigint[], text[], text[],
				  boolean[], smallint, interval, integer, interval, interval, boolean);
CREATE FUNCTION itin_requests_begin(
	p_owner text, p_keys text[], p_channels smallint[], p_intents smallint[], p_ats bigint[],
	p_messages text[], p_reply_tos text[], p_consents boolean[], p_default_lang smallint,
	p_consent_timeout interval, p_rate_count integer, p_rate_period interval,
	p_dedup interval, p_shutdown boolean)
RETURNS TABLE (request_id bigint, action smallint, lang smallint)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
	decided record;
BEGIN
	PERFORM set_config('itin.owner', p_owner, true);
	FOR i IN 1 .. cardinality(p_keys) LOOP
		decided := itin_request_begin(decode(p_keys[i], 'hex'), p_channels[i], p_intents[i],
					      to_timestamp(p_ats[i]), decode(p_messages[i], 'hex'),
					      decode(p_reply_tos[i], 'hex'), p_default_lang,
					      p_consents[i], p_consent_timeout, p_rate_count,
					      p_rate_period, p_dedup, p_shutdown);
		request_id := decided.request_id;
		action := decided.action;
		lang := decided.lang;
		RETURN NEXT;
	END LOOP;
END
$$;
