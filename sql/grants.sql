-- Who may do what (issue 17, finding 8; the roles: migration 090). Applied by every
-- `itinerad-db migrate` after the migrations, in one transaction: everything is revoked from
-- the two roles and from PUBLIC, then granted again as listed here, so this file is the whole
-- truth and a grant removed here is gone on the next migrate. A new table or function that the
-- daemon or the loader uses gets its line here (and, if it must run as the owner, its
-- ALTER FUNCTION line); doc/manual/operator.md, "Database roles and authentication", says more.
-- Functions are named without their arguments, so a migration that changes a signature needs
-- no change here.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, itinerad_daemon, itinerad_loader;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, itinerad_daemon, itinerad_loader;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC, itinerad_daemon, itinerad_loader;
-- What the owner makes from now on is nobody else's until granted here (functions are
-- executable by everyone by default).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
-- As PostgreSQL 15 has it for new databases, also for older ones: only the owner creates.
-- Temporary tables only for the loader's staging (and the owner's reference data).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
	EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO itinerad_loader', current_database());
END
$$;

-- Functions that run as the owner, with a search path of their own: the roles reach the
-- tables behind them only through them.
ALTER FUNCTION itin_requests_begin SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_requests_done SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_requests_sent SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_request_reopen SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_audit_incomplete SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_audit_unrecorded SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_instance_renew SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_instance_pending SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_instance_take_over SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_pending_bound SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_instance_orphans SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_link_hold SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_instance_release SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_lookup SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_presence_swap SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_identities_expire SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_feed_state_clamp SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_operator_audit_expire SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_audit_maintain SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_schema_version SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_verify_issue SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_verify_issue_batch SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_verify_check SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_verify_void SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_verify_maintain SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_dispute_open SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION itin_dispute_maintain SECURITY DEFINER SET search_path = public, pg_temp;

-- itinerad: the request rules, the lookup, the audit of an incomplete SMS not answered and of
-- the busy text of a request the database could not record (migration 111); the
-- data freshness and the risk list of every reply; its instance's lease, its own pending
-- requests after a restart and those of an instance whose lease ran out, the GSUP link's holder
-- (service/request.c, migration 100), and those of its own that nothing answers (the sweep;
-- functions since migration 270: the daemon reads no table of requests); the mark of a reply written to the SMSC, and its row
-- put back when the SMSC did not take it (migration 160). itinerad-db query, as the same
-- role: the lookup, and the audit row written before it answers (migration 080; no sequence,
-- the defaults fill the rest), which it may not read back. The schema version it checks at start (migration 140).
GRANT EXECUTE ON FUNCTION itin_requests_begin, itin_requests_done, itin_lookup,
	itin_audit_incomplete, itin_audit_unrecorded, itin_schema_version, itin_instance_renew,
	itin_instance_pending, itin_instance_take_over, itin_link_hold, itin_instance_release,
	itin_requests_sent, itin_request_reopen, itin_pending_bound, itin_instance_orphans
	TO itinerad_daemon;
-- Verification codes (migrations 185, 187): issued with the itineraries of a loop turn, checked,
-- voided by the holder.
GRANT EXECUTE ON FUNCTION itin_verify_issue_batch, itin_verify_check, itin_verify_void
	TO itinerad_daemon;
-- Disputes (migration 186): opened by the subscriber; listed and closed by `itinerad-db
-- disputes` as the owner.
GRANT EXECUTE ON FUNCTION itin_dispute_open TO itinerad_daemon;
GRANT SELECT ON feed_state, risk_area TO itinerad_daemon;
GRANT SELECT ON feed_load, feed_load_refused TO itinerad_daemon;	-- /metrics (migration 155)
GRANT INSERT ON operator_audit TO itinerad_daemon;

-- itinerad-db load (db/db_load_events.c, db_load_registry.c; staging in temporary tables)
-- and retention (the swap, the expiry of identities, the feed time clamp, both audits'
-- maintenance: functions, so that it reads no presence nor audit row). During a key rotation
-- the event load joins a subscriber found by the previous key to its new key: it updates the
-- subscriber's key id and sealed mask by id.
GRANT SELECT ON region TO itinerad_loader;
GRANT SELECT, INSERT, UPDATE ON cell TO itinerad_loader;
GRANT SELECT, INSERT, DELETE ON risk_area TO itinerad_loader;
GRANT INSERT, SELECT (id), UPDATE (key_id, mask_sealed) ON subscriber TO itinerad_loader;
GRANT SELECT, INSERT, UPDATE ON subscriber_key TO itinerad_loader;
GRANT USAGE ON SEQUENCE subscriber_id_seq TO itinerad_loader;
GRANT INSERT ON presence_recent TO itinerad_loader;	-- again in itin_presence_swap
GRANT SELECT, INSERT, UPDATE ON feed_state TO itinerad_loader;
GRANT SELECT, INSERT, UPDATE ON feed_load TO itinerad_loader;		-- a load's counts (migration 155)
GRANT SELECT, INSERT, DELETE ON feed_load_refused TO itinerad_loader;
GRANT EXECUTE ON FUNCTION itin_presence_swap, itin_identities_expire, itin_feed_state_clamp,
	itin_audit_maintain, itin_operator_audit_expire TO itinerad_loader;
GRANT EXECUTE ON FUNCTION itin_verify_maintain TO itinerad_loader;	-- retention (migration 185)
GRANT EXECUTE ON FUNCTION itin_dispute_maintain TO itinerad_loader;	-- retention (migration 186)

-- itinerad-db retire-key (db/db_keys.c) and purge run as the owner, like migrate: they delete
-- keys, subscribers and states and read presence to refuse early.
