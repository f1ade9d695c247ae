-- The schema version the daemon checks at start (issue 22): an itinerad started against a
-- database that `itinerad-db migrate` has not brought to its own migrations refuses to run and
-- names the command, rather than failing each request on a function that does not exist. The
-- daemon's role reaches schema_version only through this function (sql/grants.sql); a
-- database without it is older than this migration, which says as much.
CREATE FUNCTION itin_schema_version() RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT max(version) FROM schema_version $$;
