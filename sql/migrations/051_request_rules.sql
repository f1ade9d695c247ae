-- The service rules of one request (SPEC sections 2, 3 and 5), decided in the database in one
-- statement: the state they read and change is shared by every itinerad process, and one round
-- trip per request keeps the daemon close to the lookup's own rate.
--
-- Intents (C: enum itin_intent): 0 query, 1 yes, 2 no, 3 help, 4 English, 5 Chinese, 6 unknown.
-- Actions (C: enum itin_action): 0 duplicate (no reply), 1 itinerary, 2 consent prompt,
-- 3 consent expired, 4 cancelled, 5 rate-limited notice, 6 silence, 7 help, 8 language
-- switched, 9 shutdown notice. Languages: 0 Chinese, 1 English.
--
-- A request that gets a reply is recorded in request_pending (the daemon deletes it once the
-- reply is sent, and answers what is left after a restart); one that gets none is audited now.
CREATE FUNCTION itin_request_begin(
	p_key bytea, p_channel smallint, p_intent smallint, p_at timestamptz, p_message bytea,
	p_reply_to bytea, p_default_lang smallint, p_consent boolean, p_consent_timeout interval,
	p_rate_count integer, p_rate_period interval, p_dedup interval, p_shutdown boolean,
	OUT request_id bigint, OUT action smallint, OUT lang smallint)
LANGUAGE plpgsql AS $$
DECLARE
	s subscriber_state;
BEGIN
	INSERT INTO subscriber_state AS st (key, last_message, last_message_at)
	VALUES (p_key, NULL, NULL)
	ON CONFLICT (key) DO NOTHING;
	SELECT * INTO s FROM subscriber_state WHERE key = p_key FOR UPDATE;
	lang := coalesce(s.lang, p_default_lang);

	IF p_message IS NOT NULL AND s.last_message = p_message
	   AND s.last_message_at > p_at - p_dedup THEN
		action := 0;
	ELSIF p_shutdown THEN
		action := 9;
	ELSIF p_intent IN (0, 3) THEN
		IF s.rate_period_start IS NULL OR p_at >= s.rate_period_start + p_rate_period THEN
			s.rate_period_start := p_at;
			s.rate_count := 0;
			s.rate_noticed := false;
		END IF;
		s.rate_count := s.rate_count + 1;
		IF s.rate_count > p_rate_count THEN
			action := CASE WHEN s.rate_noticed THEN 6 ELSE 5 END;
			s.rate_noticed := true;
		ELSIF p_intent = 3 THEN
			action := 7;
		ELSIF p_consent THEN
			action := 2;
			s.consent_asked_at := p_at;
		ELSE
			action := 1;
		END IF;
	ELSIF p_intent = 1 THEN
		IF s.consent_asked_at IS NOT NULL AND p_at <= s.consent_asked_at + p_consent_timeout THEN
			action := 1;
		ELSE
			action := 3;
		END IF;
		s.consent_asked_at := NULL;
	ELSIF p_intent = 2 THEN
		action := 4;
		s.consent_asked_at := NULL;
	ELSIF p_intent IN (4, 5) THEN
		action := 8;
		lang := CASE WHEN p_intent = 4 THEN 1 ELSE 0 END;
		s.lang := lang;
	ELSIF s.help_sent_at IS NULL OR p_at >= s.help_sent_at + p_rate_period THEN
		action := 7;
		s.help_sent_at := p_at;
	ELSE
		action := 6;
	END IF;

	IF action <> 0 THEN
		UPDATE subscriber_state SET
			lang = s.lang, consent_asked_at = s.consent_asked_at,
			rate_period_start = s.rate_period_start, rate_count = s.rate_count,
			rate_noticed = s.rate_noticed, help_sent_at = s.help_sent_at,
			last_message = p_message, last_message_at = p_at
		WHERE key = p_key;
	END IF;

	IF action IN (0, 6) THEN
		INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
		VALUES (p_key, p_at, p_at, p_channel, p_intent, action, 0);
	ELSE
		INSERT INTO request_pending (key, channel, intent, action, lang, received_at, reply_to)
		VALUES (p_key, p_channel, p_intent, action, lang, p_at, p_reply_to)
		RETURNING id INTO request_id;
	END IF;
END
$$;

-- Requests answered: their pending rows become audit rows with the part counts, in one
-- statement (one commit) for many: itinerad gathers them for a few milliseconds. p_actions:
-- what the subscriber got in the end, when it is not what the rules decided (the busy text
-- after the reply deadline or a failed lookup), else NULL.
CREATE FUNCTION itin_requests_done(p_ids bigint[], p_parts smallint[], p_actions smallint[],
				   p_at timestamptz)
RETURNS void LANGUAGE sql AS $$
	WITH answered AS (
		SELECT * FROM unnest(p_ids, p_parts, p_actions) AS a(id, parts, action)
	), done AS (
		DELETE FROM request_pending p USING answered a WHERE p.id = a.id
		RETURNING p.key, p.received_at, p.channel, p.intent,
			  coalesce(a.action, p.action) AS action, a.parts
	)
	INSERT INTO audit (key, received_at, answered_at, channel, intent, action, parts)
	SELECT key, received_at, p_at, channel, intent, action, parts FROM done;
$$;
