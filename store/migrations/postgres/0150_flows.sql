-- Tables of the inter-node flows (docs/domain.md §3). A node uses only those of
-- its role; the others stay empty.

-- Prefecture and national: identity information, current and full history,
-- per (municipality, resident code) (法30条の6, 30条の7).
CREATE TABLE flow_identity (
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       BIGINT NOT NULL,
    info          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (municipality, resident_code)
);
CREATE INDEX flow_identity_code ON flow_identity (resident_code);
CREATE TABLE flow_identity_history (
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       BIGINT NOT NULL,
    info          TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (municipality, resident_code, version)
);
-- A resident-code change links the old code to the new one.
CREATE TABLE flow_code_links (
    previous_code TEXT NOT NULL,
    new_code      TEXT NOT NULL,
    municipality  TEXT NOT NULL,
    change_date   TEXT NOT NULL,
    PRIMARY KEY (previous_code, new_code)
);
-- 転出確定通知 received (施行令13条3項).
CREATE TABLE flow_moveout_confirms (
    municipality   TEXT NOT NULL,
    resident_code  TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at    BIGINT NOT NULL,
    PRIMARY KEY (municipality, resident_code, received_at)
);

-- CS: 転出証明書情報 received from the previous municipality (法24条の2).
CREATE TABLE flow_moveout_certificates (
    resident_code TEXT NOT NULL,
    from_lg       TEXT NOT NULL,
    body          TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    used_at       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (resident_code, from_lg, received_at)
);
-- CS: 個人番号カード records (the chip's PIN check, modelled: salted hash).
CREATE TABLE flow_cards (
    serial        TEXT PRIMARY KEY,
    resident_code TEXT NOT NULL,
    pin_salt      BYTEA NOT NULL,
    pin_hash      BYTEA NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0,
    card_state    TEXT NOT NULL,
    cert_state    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX flow_cards_code ON flow_cards (resident_code);

-- CS (issuing side): wide-area copy requests; the answer is held only until
-- it is taken for printing or the hold limit passes.
CREATE TABLE flow_copy_requests (
    id            TEXT PRIMARY KEY,
    residence_lg  TEXT NOT NULL,
    subject_token TEXT NOT NULL,
    items         TEXT NOT NULL,
    operator      TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    state         TEXT NOT NULL,
    response      TEXT,
    responded_at  BIGINT NOT NULL DEFAULT 0,
    printed_at    BIGINT NOT NULL DEFAULT 0
);
-- CS (residence side): the copy requests answered.
CREATE TABLE flow_copy_answers (
    request_id    TEXT PRIMARY KEY,
    issuing_lg    TEXT NOT NULL,
    subject_token TEXT NOT NULL,
    items         TEXT NOT NULL,
    status        TEXT NOT NULL,
    answered_at   BIGINT NOT NULL
);

-- CS of the 本籍地: 戸籍の附票 entries per 本籍 (法19条1項).
CREATE TABLE flow_annex_entries (
    message_id    TEXT PRIMARY KEY,
    domicile      TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    from_lg       TEXT NOT NULL,
    body          TEXT NOT NULL,
    received_at   BIGINT NOT NULL
);
CREATE INDEX flow_annex_domicile ON flow_annex_entries (domicile, received_at);

-- National: 個人番号 generations per resident code (a 変更請求 takes the next).
CREATE TABLE flow_number_generations (
    resident_code TEXT PRIMARY KEY,
    generation    BIGINT NOT NULL
);
-- CS: 情報提供用個人識別符号 by 取得番号.
CREATE TABLE flow_link_codes (
    acquisition_number TEXT PRIMARY KEY,
    resident_code      TEXT NOT NULL,
    link_code          TEXT NOT NULL DEFAULT '',
    requested_at       BIGINT NOT NULL,
    received_at        BIGINT NOT NULL DEFAULT 0
);
-- National: card / JPKI status per person.
CREATE TABLE flow_card_status (
    resident_code TEXT PRIMARY KEY,
    municipality  TEXT NOT NULL,
    serial        TEXT NOT NULL,
    card_state    TEXT NOT NULL,
    cert_state    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- National: resident codes handed out; CS: its pool of unused codes.
CREATE TABLE flow_codes_granted (
    code         TEXT PRIMARY KEY,
    municipality TEXT NOT NULL,
    granted_at   BIGINT NOT NULL
);
CREATE TABLE flow_code_pool (
    code        TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
-- National: every provision to an agency (法30条の9; disclosable, 法30条の32).
CREATE TABLE flow_provisions (
    id            TEXT PRIMARY KEY,
    batch_id      TEXT NOT NULL,
    provided_at   BIGINT NOT NULL,
    agency        TEXT NOT NULL,
    task          TEXT NOT NULL,
    items         TEXT NOT NULL,
    subject_token TEXT NOT NULL,
    found         BIGINT NOT NULL
);
CREATE INDEX flow_provisions_subject ON flow_provisions (subject_token, provided_at);
