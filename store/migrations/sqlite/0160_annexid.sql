-- Prefecture and national: 附票本人確認情報 (法30条の41 ff.) of persons living
-- abroad, current and full history, per (municipality, resident code).
CREATE TABLE flow_annexid (
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (municipality, resident_code)
);
CREATE TABLE flow_annexid_history (
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    PRIMARY KEY (municipality, resident_code, version)
);
