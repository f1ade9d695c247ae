-- The itinerary lookup: a subscriber's presence rows from a day on, by the keyed hash of the
-- MSISDN or IMSI. $1 = subscriber key under the current secret (bytea, 32 octets), $2 = first
-- day of the window (date), $3 = the key under the previous secret during a key rotation, else
-- NULL. The previous key is probed only when the current one misses: the append of UNION ALL
-- runs its branches in order and LIMIT 1 stops it at the first row, so a subscriber the loader
-- has seen since the rotation costs one index probe, as before it.
-- No row: unknown subscriber. One row with a NULL day: known, nothing in the window.
-- Index probes only: the key, the subscriber, then each presence table's (subscriber, day)
-- range, so the cost does not grow with the number of subscribers. Days are returned as days
-- since 1970-01-01 and times as Unix seconds, as the engine takes them (struct itin_presence).
-- The mask comes sealed (common/reply_address.c), for the replies that know no number.
SELECT s.mask_sealed, p.day - DATE '1970-01-01' AS day, p.place,
	extract(epoch FROM p.first_seen)::bigint AS first_seen,
	extract(epoch FROM p.last_seen)::bigint AS last_seen
FROM (
	(SELECT subscriber FROM subscriber_key WHERE key = $1)
	UNION ALL
	(SELECT subscriber FROM subscriber_key WHERE key = $3)
	LIMIT 1
) k
JOIN subscriber s ON s.id = k.subscriber
LEFT JOIN LATERAL (
	SELECT day, place, first_seen, last_seen FROM presence_history h
	WHERE h.subscriber = k.subscriber AND h.day >= $2
	UNION ALL
	SELECT day, place, first_seen, last_seen FROM presence_recent r
	WHERE r.subscriber = k.subscriber AND r.day >= $2
) p ON true
