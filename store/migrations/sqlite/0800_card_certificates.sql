-- 個人番号カード as JPKI 利用者証明用 works: the CS records the card's
-- certificate, never anything of its PIN (the card checks its own PIN).
-- The PIN verifier columns go; cards recorded before keep no certificate
-- and cannot be used for a 特例転入 until re-issued.
CREATE TABLE flow_cards_v2 (
    serial        TEXT PRIMARY KEY,
    resident_code TEXT NOT NULL,
    certificate   BLOB NOT NULL,
    card_state    TEXT NOT NULL,
    cert_state    TEXT NOT NULL,
    continue_due  TEXT NOT NULL DEFAULT '', -- 継続利用 due by (番号法17条2項); '' none pending
    continued_on  TEXT NOT NULL DEFAULT '', -- 継続利用 recorded here on
    updated_at    INTEGER NOT NULL
);
INSERT INTO flow_cards_v2 (serial, resident_code, certificate, card_state, cert_state, updated_at)
    SELECT serial, resident_code, X'', card_state, cert_state, updated_at FROM flow_cards;
DROP TABLE flow_cards;
ALTER TABLE flow_cards_v2 RENAME TO flow_cards;
CREATE INDEX flow_cards_code ON flow_cards (resident_code);
-- Received 転出証明書情報 lose the PIN verifier they carried.
UPDATE flow_moveout_certificates SET body = json_remove(body, '$.card.pin_salt', '$.card.pin_hash', '$.card.failures')
    WHERE json_extract(body, '$.card') IS NOT NULL;
-- A certificate whose 特例 window passed (法24条の2: 30 days after the planned move-out).
ALTER TABLE flow_moveout_certificates ADD COLUMN lapsed_at INTEGER NOT NULL DEFAULT 0;
