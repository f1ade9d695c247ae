-- What the daemon keeps per subscriber key and per request (SPEC sections 2, 3, 5, 8), so that
-- several itinerad processes can share one database and a restart loses nothing. Keys are the
-- HMAC subscriber keys of the channel's identity (MSISDN for SMS, IMSI for USSD); no plaintext.

-- Per-key state: reply language, a pending consent prompt, the rate-limit period, the help
-- notice period and the last request (to drop an SMSC's redelivery of the same message).
CREATE TABLE subscriber_state (
	key bytea PRIMARY KEY CHECK (length(key) = 32),
	lang smallint,
	consent_asked_at timestamptz,
	rate_period_start timestamptz,
	rate_count integer NOT NULL DEFAULT 0,
	rate_noticed boolean NOT NULL DEFAULT false,
	help_sent_at timestamptz,
	last_message bytea,
	last_message_at timestamptz
);

-- Requests accepted and not yet answered: written before the SMSC gets its success answer,
-- deleted when every reply part was accepted by the SMSC. reply_to is the reply address,
-- encrypted (AES-256-GCM, key derived from the operator secret): a pending row is the only
-- place a number exists, and only for the seconds until the reply is sent.
CREATE TABLE request_pending (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	key bytea NOT NULL,
	channel smallint NOT NULL,
	intent smallint NOT NULL,
	action smallint NOT NULL,
	lang smallint NOT NULL,
	received_at timestamptz NOT NULL,
	reply_to bytea NOT NULL
);

-- The audit trail (SPEC section 8): hashed subscriber, time, channel, keyword, outcome and
-- part count; never places. Daily partitions, so that expiry is a DROP.
CREATE TABLE audit (
	key bytea NOT NULL,
	received_at timestamptz NOT NULL,
	answered_at timestamptz NOT NULL,
	channel smallint NOT NULL,
	intent smallint NOT NULL,
	action smallint NOT NULL,
	parts smallint NOT NULL
) PARTITION BY RANGE (received_at);
CREATE TABLE audit_default PARTITION OF audit DEFAULT;
