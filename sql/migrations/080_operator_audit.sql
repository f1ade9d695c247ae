-- Operator queries (itinerad-db query, issue 17): who asked for which subscriber, when, with
-- which options. The subscriber is its HMAC key, as in the request audit; never a number nor a
-- place. os_user is the OS user itinerad-db ran as, sudo_user what sudo said in SUDO_USER (set
-- by whoever starts the program: trust it only as far as os_user is a sudo target); db_user is
-- the database's own account of the session. Kept audit_days, like the request audit:
-- `itinerad-db retention` deletes older rows.
CREATE TABLE operator_audit (
	asked_at timestamptz NOT NULL DEFAULT now(),
	os_user text NOT NULL,
	sudo_user text,
	db_user text NOT NULL DEFAULT session_user,
	command text NOT NULL,
	key bytea NOT NULL CHECK (length(key) = 32)
);
CREATE INDEX operator_audit_asked_at ON operator_audit (asked_at);
