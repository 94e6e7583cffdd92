-- The municipal resident register (住民基本台帳): households, residents with
-- their removed records (除票) kept, and the per-person history of the
-- identity information sent (施行令34条: kept 150 years).
CREATE TABLE households (
    id           TEXT PRIMARY KEY,
    head_code    TEXT NOT NULL DEFAULT '',
    address_lg   TEXT NOT NULL,
    address_text TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    dissolved_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE residents (
    record_id            TEXT PRIMARY KEY,
    resident_code        TEXT NOT NULL,
    individual_number    TEXT NOT NULL DEFAULT '',
    kanji                TEXT NOT NULL,
    kana                 TEXT NOT NULL,
    former_surname       TEXT NOT NULL DEFAULT '',
    former_surname_kana  TEXT NOT NULL DEFAULT '',
    alias                TEXT NOT NULL DEFAULT '',
    alias_kana           TEXT NOT NULL DEFAULT '',
    kanji_key            TEXT NOT NULL,
    kana_key             TEXT NOT NULL,
    birth_date           TEXT NOT NULL,
    sex                  INTEGER NOT NULL,
    address_lg           TEXT NOT NULL,
    address_text         TEXT NOT NULL,
    address_key          TEXT NOT NULL,
    address_since        TEXT NOT NULL,
    resident_since       TEXT NOT NULL,
    household_id         TEXT NOT NULL,
    relationship         TEXT NOT NULL,
    domicile             TEXT NOT NULL DEFAULT '',
    domicile_head        TEXT NOT NULL DEFAULT '',
    previous_lg          TEXT NOT NULL DEFAULT '',
    previous_address     TEXT NOT NULL DEFAULT '',
    card_holder          INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL DEFAULT 'current',
    removal_reason       INTEGER NOT NULL DEFAULT 0,
    removal_date         TEXT NOT NULL DEFAULT '',
    moveout_planned_date TEXT NOT NULL DEFAULT '',
    moveout_dest_lg      TEXT NOT NULL DEFAULT '',
    moveout_dest_text    TEXT NOT NULL DEFAULT '',
    movein_notice_date   TEXT NOT NULL DEFAULT '',
    moveout_confirmed_lg   TEXT NOT NULL DEFAULT '',
    moveout_confirmed_text TEXT NOT NULL DEFAULT '',
    moveout_confirmed_date TEXT NOT NULL DEFAULT '',
    version              INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX residents_current_code ON residents (resident_code) WHERE status = 'current';
CREATE UNIQUE INDEX residents_current_number ON residents (individual_number) WHERE status = 'current' AND individual_number <> '';
CREATE INDEX residents_code ON residents (resident_code);
CREATE INDEX residents_kana ON residents (kana_key);
CREATE INDEX residents_kanji ON residents (kanji_key);
CREATE INDEX residents_birth ON residents (birth_date);
CREATE INDEX residents_household ON residents (household_id) WHERE status = 'current';

-- Per-person version counter at this municipality: continues across 除票
-- and re-registration so receivers can order and detect gaps.
CREATE TABLE person_versions (
    resident_code TEXT PRIMARY KEY,
    version       INTEGER NOT NULL
);

CREATE TABLE identity_history (
    resident_code TEXT NOT NULL,
    version       INTEGER NOT NULL,
    reason        INTEGER NOT NULL,
    change_date   TEXT NOT NULL,
    info          TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL,
    PRIMARY KEY (resident_code, version)
);
