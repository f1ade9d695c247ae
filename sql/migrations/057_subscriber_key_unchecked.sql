-- subscriber_key's foreign key to subscriber goes (issue 9). Its one writer is the event
-- loader, which inserts a batch's new subscribers and then their keys in one transaction, with
-- set-based SQL from the same temporary table; subscribers are never deleted but all together
-- (itinerad-db purge truncates both tables at once). The check cost an index probe of
-- subscriber, through a trigger, per key inserted: 15 % of the machine, 28 % of PostgreSQL's
-- time, loading 10 M events of 555,555 subscribers into an empty database.
ALTER TABLE subscriber_key DROP CONSTRAINT subscriber_key_subscriber_fkey;
