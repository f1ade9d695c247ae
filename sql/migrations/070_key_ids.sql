-- Key ids and the sealed mask (issue 17, finding 6).
--
-- Every subscriber key is made under one operator secret, named by its id (the "ID SECRET"
-- lines of hmac_secret_file; hmac_secret inline is id 1). A key rotation adds a secret with a
-- higher id: the loader then writes keys under it, and joins a subscriber already known under
-- the previous key to its new key (same subscriber id, same presence); lookups try the current
-- key, then the previous one. `itinerad-db retire-key ID` deletes what remains under a key once
-- retention has dropped every presence only that key reaches. Rows written before this
-- migration were made under the secret's former derivation, which no configured key
-- reproduces: they get id 0, and `itinerad-db retire-key 0` removes them after the window.
ALTER TABLE subscriber_key ADD COLUMN key_id smallint NOT NULL DEFAULT 0;
ALTER TABLE subscriber_key ALTER COLUMN key_id DROP DEFAULT;

-- The mask the replies show (138****0001) was stored in clear beside the presence: with it, a
-- reader holding the secret was 10^4 HMACs from each number, and one without it could narrow a
-- known number to the rows sharing its mask. An SMS reply derives it from the requester's
-- number; a USSD reply and `itinerad-db query --imsi` know only the IMSI and open
-- mask_sealed (AES-256-GCM, common/reply_address.c), sealed under the key key_id names.
-- Subscribers loaded before this migration have none (they are under key id 0). The id's
-- no-op USING makes PostgreSQL rewrite the table: a dropped column's values would otherwise
-- stay in the row versions on disk.
ALTER TABLE subscriber DROP COLUMN msisdn_mask,
	ADD COLUMN key_id smallint NOT NULL DEFAULT 0,
	ADD COLUMN mask_sealed bytea,
	ALTER COLUMN id TYPE bigint USING id + 0;
ALTER TABLE subscriber ALTER COLUMN key_id DROP DEFAULT;
