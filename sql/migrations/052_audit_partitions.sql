-- Daily partitions of the audit trail (UTC days), kept audit_days: itin_audit_maintain() creates
-- the partitions of the next days and drops whole partitions past the retention, so expiry is
-- a DROP. `itinerad-db migrate` and `itinerad-db retention` call it; rows that reached the
-- default partition (a day with no partition yet) are few and deleted by age.
CREATE FUNCTION itin_audit_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	d date;
	part record;
BEGIN
	FOR d IN SELECT generate_series(p_today - 1, p_today + 3, interval '1 day')::date LOOP
		IF to_regclass(format('audit_%s', to_char(d, 'YYYYMMDD'))) IS NULL
		   AND NOT EXISTS (SELECT 1 FROM audit_default
				   WHERE received_at >= d::timestamp AT TIME ZONE 'UTC'
				     AND received_at < (d + 1)::timestamp AT TIME ZONE 'UTC') THEN
			EXECUTE format('CREATE TABLE audit_%s PARTITION OF audit FOR VALUES FROM (%L) TO (%L)',
				       to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
				       (d + 1)::timestamp AT TIME ZONE 'UTC');
		END IF;
	END LOOP;
	FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		    WHERE i.inhparent = 'audit'::regclass AND c.relname ~ '^audit_[0-9]{8}$'
		      AND to_date(substr(c.relname, 7), 'YYYYMMDD') < p_today - p_keep_days LOOP
		EXECUTE format('DROP TABLE %I', part.relname);
	END LOOP;
	DELETE FROM audit_default WHERE received_at < (p_today - p_keep_days)::timestamp AT TIME ZONE 'UTC';
END
$$;

SELECT itin_audit_maintain(current_date, 30);
