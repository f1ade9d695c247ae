-- When an IMSI key's holder was seen with it. A USSD request carries only the IMSI, so an IMSI
-- must answer for the subscriber that used it last: after a SIM swap the new IMSI points at
-- the subscriber, and a recycled IMSI moves to its new holder and never shows the previous
-- holder's itinerary. The event loader moves an IMSI key only to a holder seen with it no
-- earlier than this time: a feed loaded out of order (an older file after a newer one, or
-- older lines in a later batch) cannot hand the IMSI back. It is the newest event of the batch
-- that wrote the key, kept as the key's time while the holder stays the same (a later holder's
-- events all come after the earlier holder's last use). NULL: an MSISDN key, or an IMSI key
-- written before this migration (any holder seen later may take it).
ALTER TABLE subscriber_key ADD COLUMN imsi_seen timestamptz;
