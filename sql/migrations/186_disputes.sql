-- Disputes (issue 25): a subscriber's JC / 纠错 / DISPUTE and free text ("a place is wrong") is a
-- case, recorded with the itinerary as it stood, both sealed by the daemon (AES-GCM, purpose
-- "dispute"): no number, no words and no places in clear. Customer care lists and closes cases
-- by their random case number (`itinerad-db disputes`), which the subscriber reads out. Cases
-- expire by whole tables: partitioned by the UTC day they were opened, a day's table dropped
-- once it is [privacy] dispute_days old (itin_dispute_maintain, run by migrate and retention).
CREATE TABLE dispute (
	id bigserial,				-- the order cases came in
	case_no bigint NOT NULL,
	holder bytea NOT NULL,			-- the subscriber's key, for the per-day limit
	opened_at timestamptz NOT NULL,
	said bytea NOT NULL,			-- the subscriber's text, sealed
	shown bytea NOT NULL,			-- the itinerary as it stood, sealed
	closed_at timestamptz
) PARTITION BY RANGE (opened_at);
CREATE TABLE dispute_default PARTITION OF dispute DEFAULT;
CREATE INDEX ON dispute (case_no);
CREATE INDEX ON dispute (holder, opened_at);

-- A new case, unless the subscriber opened p_max in the last day (a spoofed sender must not
-- fill the table nor make the service send SMS in bulk). false: refused.
CREATE FUNCTION itin_dispute_open(p_case bigint, p_holder bytea, p_at timestamptz, p_said bytea,
				  p_shown bytea, p_max integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT count(*) FROM dispute WHERE holder = p_holder
	    AND opened_at > p_at - interval '1 day') >= p_max THEN
		RETURN false;
	END IF;
	INSERT INTO dispute (case_no, holder, opened_at, said, shown)
	VALUES (p_case, p_holder, p_at, p_said, p_shown);
	RETURN true;
END
$$;

CREATE FUNCTION itin_dispute_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	d date;
	part record;
BEGIN
	FOR d IN SELECT generate_series(p_today - 1, p_today + 3, interval '1 day')::date LOOP
		IF to_regclass(format('dispute_%s', to_char(d, 'YYYYMMDD'))) IS NULL
		   AND NOT EXISTS (SELECT 1 FROM dispute_default
				   WHERE opened_at >= d::timestamp AT TIME ZONE 'UTC'
				     AND opened_at < (d + 1)::timestamp AT TIME ZONE 'UTC') THEN
			EXECUTE format('CREATE TABLE dispute_%s PARTITION OF dispute FOR VALUES FROM (%L) TO (%L)',
				       to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
				       (d + 1)::timestamp AT TIME ZONE 'UTC');
		END IF;
	END LOOP;
	FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		    WHERE i.inhparent = 'dispute'::regclass AND c.relname ~ '^dispute_[0-9]{8}$'
		      AND to_date(substr(c.relname, 9), 'YYYYMMDD') < p_today - p_keep_days LOOP
		EXECUTE format('DROP TABLE %I', part.relname);
	END LOOP;
	DELETE FROM dispute_default
	WHERE opened_at < (p_today - p_keep_days)::timestamp AT TIME ZONE 'UTC';
END
$$;

SELECT itin_dispute_maintain(current_date, 30);
