-- CS of the 本籍地: the last 附票本人確認情報 it notified per person (法30条の41
-- 1項), so that a 附票 修正 is notified only when an item the article lists
-- changes, and the version counter the prefecture and the national server
-- order by (newer wins).
CREATE TABLE flow_annexid_sent (
    resident_code TEXT PRIMARY KEY,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL
);
