-- Verification codes (issue 25, doc/SPEC.md section 11). An itinerary reply carries a code; a
-- checker who sends it back with the last four digits of the masked number gets what the
-- holder was shown. Nothing here is in clear: a code is stored as the keyed hash of the code
-- and those four digits (common/subscriber_key.c, itin_verify_key), the holder as their
-- subscriber key, the reply as the daemon sealed it (AES-GCM, common/reply_address.c): places
-- loaded later do not change it, and the database cannot read it.
--
-- Expiry is by whole tables, like the presence and the audit: verify_code is partitioned by
-- the UTC day its codes expire on, and itin_verify_maintain() (run by `itinerad-db migrate`
-- and `retention`) drops a day's partition once the day has passed (a day later than that:
-- retention counts local days, the partitions UTC days); a code past its expiry
-- before that is refused by its expires_at. verify_audit (one row per check: checker,
-- holder, time, outcome; no places) is kept audit_days like the audit.
CREATE TABLE verify_code (
	code_hash bytea NOT NULL,
	holder bytea NOT NULL,			-- the holder's subscriber key, for VOID
	issued_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	shown bytea NOT NULL			-- the reply, sealed
) PARTITION BY RANGE (expires_at);
CREATE TABLE verify_code_default PARTITION OF verify_code DEFAULT;
CREATE INDEX ON verify_code (code_hash);
CREATE INDEX ON verify_code (holder);

-- outcome: 0 valid, 1 not valid or expired, 2 refused by the checker's limit (the one notice
-- of its period), 3 refused so after the notice (no reply: spoofed checkers must not make the
-- service send SMS in bulk)
CREATE TABLE verify_audit (
	checker bytea NOT NULL,
	holder bytea,				-- NULL unless valid
	checked_at timestamptz NOT NULL,
	outcome smallint NOT NULL
) PARTITION BY RANGE (checked_at);
CREATE TABLE verify_audit_default PARTITION OF verify_audit DEFAULT;

-- A checker's failed checks in its current period ([service] verify_checker_limit). Rows of
-- periods that began before yesterday are deleted by itin_verify_maintain().
CREATE TABLE verify_checker (
	key bytea PRIMARY KEY,
	period_start timestamptz NOT NULL,
	failures integer NOT NULL,
	noticed boolean NOT NULL DEFAULT false	-- told of the limit in this period
);

CREATE FUNCTION itin_verify_issue(p_hash bytea, p_holder bytea, p_at timestamptz,
				  p_valid interval, p_shown bytea)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO verify_code (code_hash, holder, issued_at, expires_at, shown)
	VALUES (p_hash, p_holder, p_at, p_at + p_valid, p_shown);
$$;

-- One check: refused while the checker has p_count failures in its period (outcome 2 once,
-- then 3); else the newest live code with the hash (p_previous: the hash under the previous secret during a key
-- rotation), a failure counted when there is none. Audited either way.
CREATE FUNCTION itin_verify_check(p_checker bytea, p_hash bytea, p_previous bytea,
				  p_at timestamptz, p_count integer, p_period interval,
				  OUT outcome smallint, OUT issued_at timestamptz, OUT shown bytea)
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
	v_noticed boolean;
	v_holder bytea;
BEGIN
	INSERT INTO verify_checker AS c (key, period_start, failures) VALUES (p_checker, p_at, 0)
	ON CONFLICT (key) DO UPDATE SET
		period_start = CASE WHEN c.period_start + p_period <= p_at THEN p_at ELSE c.period_start END,
		failures = CASE WHEN c.period_start + p_period <= p_at THEN 0 ELSE c.failures END,
		noticed = CASE WHEN c.period_start + p_period <= p_at THEN false ELSE c.noticed END
	RETURNING c.failures, c.noticed INTO n, v_noticed;
	IF n >= p_count THEN
		outcome := CASE WHEN v_noticed THEN 3 ELSE 2 END;
		UPDATE verify_checker SET noticed = true WHERE key = p_checker;
	ELSE
		SELECT v.holder, v.issued_at, v.shown INTO v_holder, issued_at, shown
		FROM verify_code v
		WHERE v.code_hash IN (p_hash, p_previous) AND v.expires_at > p_at
		ORDER BY v.issued_at DESC LIMIT 1;
		IF FOUND THEN
			outcome := 0;
		ELSE
			outcome := 1;
			UPDATE verify_checker SET failures = failures + 1 WHERE key = p_checker;
		END IF;
	END IF;
	INSERT INTO verify_audit (checker, holder, checked_at, outcome)
	VALUES (p_checker, v_holder, p_at, outcome);
END
$$;

-- The holder's VOID: every code of theirs (keys: under the current and the previous secret).
CREATE FUNCTION itin_verify_void(p_holder bytea, p_previous bytea)
RETURNS integer LANGUAGE sql AS $$
	WITH d AS (DELETE FROM verify_code WHERE holder IN (p_holder, p_previous) RETURNING 1)
	SELECT count(*)::integer FROM d;
$$;

-- The partitions of the next days (codes issued today expire at most [service]
-- verify_validity later: beyond the days made here they wait in the default partition, whose
-- expired rows are deleted), the drop of every day's partition that has passed, and of the
-- checks' audit past p_keep_days.
CREATE FUNCTION itin_verify_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	d date;
	part record;
BEGIN
	FOR d IN SELECT generate_series(p_today, p_today + 3, interval '1 day')::date LOOP
		IF to_regclass(format('verify_code_%s', to_char(d, 'YYYYMMDD'))) IS NULL
		   AND NOT EXISTS (SELECT 1 FROM verify_code_default
				   WHERE expires_at >= d::timestamp AT TIME ZONE 'UTC'
				     AND expires_at < (d + 1)::timestamp AT TIME ZONE 'UTC') THEN
			EXECUTE format('CREATE TABLE verify_code_%s PARTITION OF verify_code FOR VALUES FROM (%L) TO (%L)',
				       to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
				       (d + 1)::timestamp AT TIME ZONE 'UTC');
		END IF;
		IF to_regclass(format('verify_audit_%s', to_char(d, 'YYYYMMDD'))) IS NULL
		   AND NOT EXISTS (SELECT 1 FROM verify_audit_default
				   WHERE checked_at >= d::timestamp AT TIME ZONE 'UTC'
				     AND checked_at < (d + 1)::timestamp AT TIME ZONE 'UTC') THEN
			EXECUTE format('CREATE TABLE verify_audit_%s PARTITION OF verify_audit FOR VALUES FROM (%L) TO (%L)',
				       to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
				       (d + 1)::timestamp AT TIME ZONE 'UTC');
		END IF;
	END LOOP;
	FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		    WHERE i.inhparent = 'verify_code'::regclass AND c.relname ~ '^verify_code_[0-9]{8}$'
		      AND to_date(substr(c.relname, 13), 'YYYYMMDD') < p_today - 1 LOOP
		EXECUTE format('DROP TABLE %I', part.relname);
	END LOOP;
	DELETE FROM verify_code_default WHERE expires_at < (p_today - 1)::timestamp AT TIME ZONE 'UTC';
	FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		    WHERE i.inhparent = 'verify_audit'::regclass AND c.relname ~ '^verify_audit_[0-9]{8}$'
		      AND to_date(substr(c.relname, 14), 'YYYYMMDD') < p_today - p_keep_days LOOP
		EXECUTE format('DROP TABLE %I', part.relname);
	END LOOP;
	DELETE FROM verify_audit_default
	WHERE checked_at < (p_today - p_keep_days)::timestamp AT TIME ZONE 'UTC';
	DELETE FROM verify_checker WHERE period_start < (p_today - 1)::timestamp AT TIME ZONE 'UTC';
END
$$;

SELECT itin_verify_maintain(current_date, 30);
