-- The itinerary lookup of one subscriber (itinerad-db query, the benchmarks): its presence rows
-- from a day on, by the keyed hash of the MSISDN or IMSI. $1 = subscriber key under the current
-- secret (bytea, 32 octets), $2 = first day of the window (date), $3 = the key under the
-- previous secret during a key rotation, else NULL (probed only when the current one misses).
-- No row: unknown subscriber. One row with a NULL day: known, nothing in the window. Days are
-- returned as days since 1970-01-01 and times as Unix seconds, as the engine takes them (struct
-- itin_presence); the mask comes sealed (common/reply_address.c), for the replies that know no
-- number. The query itself is the function itin_lookup (sql/migrations/090_roles.sql), which
-- runs as the schema's owner: the daemon's role may not read presence but through it.
SELECT mask_sealed, day, place, first_seen, last_seen
FROM itin_lookup(ARRAY[encode($1, 'hex')], ARRAY[$2::date], ARRAY[encode($3, 'hex')])
