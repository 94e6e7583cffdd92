-- 情報提供用個人識別符号 (番号法21条の2): the CS relays the request and keeps
-- only the 取得番号 and its status; the 符号 goes from the national server to
-- the requesting institution and is never stored at the CS.
ALTER TABLE flow_link_codes DROP COLUMN link_code;
ALTER TABLE flow_link_codes ADD COLUMN status TEXT NOT NULL DEFAULT 'requested';
-- National: the 取得番号 received, for whom and for which institution; the
-- institution fetches its 符号 by it over the agency listener (once).
CREATE TABLE flow_link_code_grants (
    acquisition_number TEXT PRIMARY KEY,
    municipality       TEXT NOT NULL,
    resident_code      TEXT NOT NULL,
    institution        TEXT NOT NULL,
    received_at        BIGINT NOT NULL,
    delivered_at       BIGINT NOT NULL DEFAULT 0
);
