-- 個人番号カード as JPKI 利用者証明用 works: the CS records the card's
-- certificate, never anything of its PIN (the card checks its own PIN).
-- Cards recorded before keep no certificate and cannot be used for a
-- 特例転入 until re-issued.
ALTER TABLE flow_cards DROP COLUMN pin_salt, DROP COLUMN pin_hash, DROP COLUMN failures,
    ADD COLUMN certificate BYTEA NOT NULL DEFAULT '\x'::bytea,
    ADD COLUMN continue_due TEXT NOT NULL DEFAULT '', -- 継続利用 due by (番号法17条2項); '' none pending
    ADD COLUMN continued_on TEXT NOT NULL DEFAULT ''; -- 継続利用 recorded here on
-- Received 転出証明書情報 lose the PIN verifier they carried.
UPDATE flow_moveout_certificates SET body = ((body::jsonb) #- '{card,pin_salt}' #- '{card,pin_hash}' #- '{card,failures}')::text
    WHERE (body::jsonb) ? 'card';
-- A certificate whose 特例 window passed (法24条の2: 30 days after the planned move-out).
ALTER TABLE flow_moveout_certificates ADD COLUMN lapsed_at BIGINT NOT NULL DEFAULT 0;
