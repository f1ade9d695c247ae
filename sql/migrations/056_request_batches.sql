-- The request rules for many requests in one statement (issue 9). The daemon gathers the
-- requests that arrive during one turn of its event loop and records them all with one call,
-- instead of one statement each: the protocol, parse-analysis and executor start-up of a
-- statement are paid once per batch. Each request is still decided by itin_request_begin,
-- one after the other in the order given, so that two requests of one subscriber in the same
-- batch (a query and the SMSC's repeat of it) are decided exactly as if they came apart.
--
-- Keys, message digests and sealed addresses are hexadecimal text (a NULL message: no
-- redelivery check, as for USSD); times are Unix seconds. Rows come back in the order given.
--
-- enable_seqscan = off (migration 053) moves from itin_request_begin to the batch: a
-- function's SET clause saves and restores the setting on every call, 2.5 % of the machine in
-- a profile at 15,000 requests/s; the statements of itin_request_begin are planned while the
-- batch's setting is in force, since it calls them.
CREATE FUNCTION itin_requests_begin(
	p_keys text[], p_channels smallint[], p_intents smallint[], p_ats bigint[],
	p_messages text[], p_reply_tos text[], p_consents boolean[], p_default_lang smallint,
	p_consent_timeout interval, p_rate_count integer, p_rate_period interval,
	p_dedup interval, p_shutdown boolean)
RETURNS TABLE (request_id bigint, action smallint, lang smallint)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
	decided record;
BEGIN
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

ALTER FUNCTION itin_request_begin(bytea, smallint, smallint, timestamptz, bytea, bytea, smallint,
				  boolean, interval, integer, interval, interval, boolean)
	RESET enable_seqscan;
