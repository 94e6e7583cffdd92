-- 個人番号の指定請求 (番号法8条) waiting for the national server's number:
-- one row per resident, replaced by a newer request and deleted when the
-- number is designated (mynumber.response). The resident page shows it.
CREATE TABLE number_requests (
    resident_code TEXT PRIMARY KEY,
    reason        BIGINT NOT NULL,
    request_date  TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    message_id    TEXT NOT NULL
);
