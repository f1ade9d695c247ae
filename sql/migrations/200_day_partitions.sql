-- The upkeep of a table partitioned by UTC day, written once: migrations 052 (the audit), 185
-- (the verification codes and their checks) and 186 (the disputes) each had their own copy of
-- the same loops. Their functions keep their names, arguments and what they do; each now
-- names its tables, its column and its days here.
--
-- itin_day_partitions_maintain: the partition <parent>_YYYYMMDD of each day p_first ..
-- p_last that has none yet, unless <parent>_default already holds rows of that day
-- (PostgreSQL refuses a partition whose rows sit in the default one: they wait there and go
-- by age); then the drop of every day's partition before p_keep_from, and the deletion of the
-- default partition's rows before it. Run only by the functions below, as the owner.
CREATE FUNCTION itin_day_partitions_maintain(p_parent regclass, p_column text, p_first date,
					     p_last date, p_keep_from date)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	base text := (SELECT relname FROM pg_class WHERE oid = p_parent);
	d date;
	taken boolean;
	part record;
BEGIN
	FOR d IN SELECT generate_series(p_first, p_last, interval '1 day')::date LOOP
		CONTINUE WHEN to_regclass(format('%s_%s', base, to_char(d, 'YYYYMMDD'))) IS NOT NULL;
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)',
			       base || '_default', p_column, p_column)
		INTO taken USING d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC';
		CONTINUE WHEN taken;
		EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
			       base || '_' || to_char(d, 'YYYYMMDD'), p_parent,
			       d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
	END LOOP;
	FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		    WHERE i.inhparent = p_parent AND c.relname ~ ('^' || base || '_[0-9]{8}$')
		      AND to_date(substr(c.relname, length(base) + 2), 'YYYYMMDD') < p_keep_from LOOP
		EXECUTE format('DROP TABLE %I', part.relname);
	END LOOP;
	EXECUTE format('DELETE FROM %I WHERE %I < $1', base || '_default', p_column)
	USING p_keep_from::timestamp AT TIME ZONE 'UTC';
END
$$;

-- The audit (migration 052): from yesterday, kept p_keep_days.
CREATE OR REPLACE FUNCTION itin_audit_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE sql AS $$
	SELECT itin_day_partitions_maintain('audit', 'received_at', p_today - 1, p_today + 3,
					    p_today - p_keep_days);
$$;

-- The verification codes (migration 185), by the day they expire: from today, each day's
-- dropped once it has passed (a day later than that: retention counts local days, the
-- partitions UTC days). Their checks' audit from today, kept p_keep_days; the checkers'
-- periods that began before yesterday.
CREATE OR REPLACE FUNCTION itin_verify_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE sql AS $$
	SELECT itin_day_partitions_maintain('verify_code', 'expires_at', p_today, p_today + 3,
					    p_today - 1);
	SELECT itin_day_partitions_maintain('verify_audit', 'checked_at', p_today, p_today + 3,
					    p_today - p_keep_days);
	DELETE FROM verify_checker WHERE period_start < (p_today - 1)::timestamp AT TIME ZONE 'UTC';
$$;

-- The disputes (migration 186): from yesterday, kept p_keep_days ([privacy] dispute_days).
CREATE OR REPLACE FUNCTION itin_dispute_maintain(p_today date, p_keep_days integer)
RETURNS void LANGUAGE sql AS $$
	SELECT itin_day_partitions_maintain('dispute', 'opened_at', p_today - 1, p_today + 3,
					    p_today - p_keep_days);
$$;
