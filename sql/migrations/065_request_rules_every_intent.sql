-- Every request counts in the subscriber's rate limit (issue 17, finding 4). Before, only the
-- query and help keywords were counted: Y, N, EN and 中文 were answered every time, so 30
-- alternating N and n in two seconds gave 30 replies, and a sender that is not the subscriber
-- (a spoofed number, SMS pumping) could make the service send as many SMS as it sent.
--
-- Now every request is counted, whatever its keyword, and over the limit gets the one notice,
-- then silence, and changes nothing. One exception keeps the consent dialogue whole: the Y or N
-- that answers a consent prompt still open belongs to the query that asked for it, which was
-- counted; the prompt is closed by that answer, so there is at most one such answer per query
-- counted. In shutdown mode, the shutdown notice goes out up to the limit too; beyond it,
-- silence rather than the rate-limit notice, which would invite the subscriber to try again.
--
-- Same signature, same actions (numbers as in migration 051); the daemon's "capped" action 11
-- (a reply the global cap did not let out) is only ever written to the audit by
-- itin_requests_done, never decided here.
CREATE OR REPLACE FUNCTION itin_request_begin(
	p_key bytea, p_channel smallint, p_intent smallint, p_at timestamptz, p_message bytea,
	p_reply_to bytea, p_default_lang smallint, p_consent boolean, p_consent_timeout interval,
	p_rate_count integer, p_rate_period interval, p_dedup interval, p_shutdown boolean,
	OUT request_id bigint, OUT action smallint, OUT lang smallint)
LANGUAGE plpgsql AS $$
DECLARE
	s subscriber_state;
	version xid;		-- the xmin of the row read; NULL: no row yet (migration 055)
	found_row record;
BEGIN
	LOOP
		SELECT st AS row, st.xmin AS xmin INTO found_row
		FROM subscriber_state st WHERE key = p_key;
		IF FOUND THEN
			s := found_row.row;
			version := found_row.xmin;
		ELSE
			-- field by field, so that a column added to subscriber_state later (with
			-- its default) does not break this function
			s := NULL;
			s.key := p_key;
			s.rate_count := 0;
			s.rate_noticed := false;
			version := NULL;
		END IF;

		lang := coalesce(s.lang, p_default_lang);

		IF p_message IS NOT NULL AND s.last_message = p_message
		   AND s.last_message_at > p_at - p_dedup THEN
			action := 0;
		ELSIF NOT p_shutdown AND p_intent IN (1, 2) AND s.consent_asked_at IS NOT NULL
		      AND p_at <= s.consent_asked_at + p_consent_timeout THEN
			action := CASE WHEN p_intent = 1 THEN 1 ELSE 4 END;
			s.consent_asked_at := NULL;
		ELSE
			IF s.rate_period_start IS NULL OR p_at >= s.rate_period_start + p_rate_period THEN
				s.rate_period_start := p_at;
				s.rate_count := 0;
				s.rate_noticed := false;
			END IF;
			s.rate_count := s.rate_count + 1;
			IF s.rate_count > p_rate_count THEN
				action := CASE WHEN s.rate_noticed OR p_shutdown THEN 6 ELSE 5 END;
				s.rate_noticed := true;
			ELSIF p_shutdown THEN
				action := 9;
			ELSIF p_intent = 0 AND p_consent THEN
				action := 2;
				s.consent_asked_at := p_at;
			ELSIF p_intent = 0 THEN
				action := 1;
			ELSIF p_intent = 3 THEN
				action := 7;
			ELSIF p_intent = 1 THEN
				action := 3;
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
		END IF;

		EXIT WHEN action = 0;
		IF version IS NOT NULL THEN
			UPDATE subscriber_state SET
				lang = s.lang, consent_asked_at = s.consent_asked_at,
				rate_period_start = s.rate_period_start, rate_count = s.rate_count,
				rate_noticed = s.rate_noticed, help_sent_at = s.help_sent_at,
				last_message = p_message, last_message_at = p_at
			WHERE key = p_key AND xmin = version;
		ELSE
			INSERT INTO subscriber_state (key, lang, consent_asked_at, rate_period_start,
						      rate_count, rate_noticed, help_sent_at,
						      last_message, last_message_at)
			VALUES (p_key, s.lang, s.consent_asked_at, s.rate_period_start,
				s.rate_count, s.rate_noticed, s.help_sent_at, p_message, p_at)
			ON CONFLICT (key) DO NOTHING;
		END IF;
		EXIT WHEN FOUND;
	END LOOP;

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
