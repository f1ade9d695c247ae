-- The request rules reach subscriber_state and request_pending by their keys only. Both tables
-- swing in size (empty after a deployment, or request_pending between bursts), and a plan
-- cached while one was near empty -- before autovacuum's next ANALYZE, up to a minute later --
-- scans the whole table on every request once it has grown: seen as 51,192 sequential scans
-- of subscriber_state, and requests/s down from thousands to hundreds, in a benchmark run that
-- started on an empty table. The functions plan on the indexes whatever the statistics say.
ALTER FUNCTION itin_request_begin(bytea, smallint, smallint, timestamptz, bytea, bytea, smallint,
				  boolean, interval, integer, interval, interval, boolean)
	SET enable_seqscan = off;
ALTER FUNCTION itin_requests_done(bigint[], smallint[], smallint[], timestamptz)
	SET enable_seqscan = off;
