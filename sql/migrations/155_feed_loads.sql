-- The last load of each feed and its counts (issue 22), for /metrics: an operator sees a feed
-- that stopped, or one of which many lines were refused or fell in unknown cells, without
-- reading the loader's output. itinerad-db load writes them once the load is over (loaded
-- data committed), whatever its exit status; the daemon reads them with the data's freshness.
CREATE TABLE feed_load (
	feed text PRIMARY KEY,			-- cells, events, risk
	finished_at timestamptz NOT NULL,
	lines bigint NOT NULL,			-- data lines read (header and comments excluded)
	loaded bigint NOT NULL,
	refused bigint NOT NULL,		-- malformed or out of range, by reason below
	unknown bigint NOT NULL			-- events: unknown cell; cells, risk: unknown region
);

CREATE TABLE feed_load_refused (
	feed text NOT NULL REFERENCES feed_load ON DELETE CASCADE,
	reason text NOT NULL,			-- the loader's text, as in "FILE:LINE: reason"
	lines bigint NOT NULL,
	PRIMARY KEY (feed, reason)
);
