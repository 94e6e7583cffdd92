-- Operation management (運用管理) as records: roles, the security council,
-- instructions, misuse cases, rooms, information assets, forms and
-- outsourcing (G3–G10, G16–G20). Dates are ISO "YYYY-MM-DD" text (they
-- compare as strings); times are unix microseconds.
CREATE TABLE gov_roles (
    id           TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    collation_id TEXT NOT NULL,
    holder_name  TEXT NOT NULL,
    position     TEXT NOT NULL DEFAULT '',
    valid_from   TEXT NOT NULL,
    valid_until  TEXT NOT NULL DEFAULT '',
    appointed_by TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX gov_roles_role ON gov_roles (role, valid_from);

CREATE TABLE gov_meetings (
    id          TEXT PRIMARY KEY,
    held_on     TEXT NOT NULL,
    title       TEXT NOT NULL,
    chair       TEXT NOT NULL,
    minutes     TEXT NOT NULL DEFAULT '',
    minutes_by  TEXT NOT NULL DEFAULT '',
    minutes_on  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE gov_attendance (
    meeting_id     TEXT NOT NULL REFERENCES gov_meetings (id),
    kind           TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT '',
    collation_id   TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL DEFAULT '',
    department     TEXT NOT NULL DEFAULT '',
    present        INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gov_attendance_meeting ON gov_attendance (meeting_id);

CREATE TABLE gov_agenda_items (
    id               TEXT PRIMARY KEY,
    meeting_id       TEXT NOT NULL REFERENCES gov_meetings (id),
    seq              INTEGER NOT NULL,
    category         TEXT NOT NULL,
    title            TEXT NOT NULL,
    important        INTEGER NOT NULL,
    outsourcing_id   TEXT NOT NULL DEFAULT '',
    board_opinion    TEXT NOT NULL DEFAULT '',
    board_opinion_on TEXT NOT NULL DEFAULT '',
    decision         TEXT NOT NULL DEFAULT '',
    decided_on       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gov_agenda_items_meeting ON gov_agenda_items (meeting_id, seq);

CREATE TABLE gov_instructions (
    id                     TEXT PRIMARY KEY,
    source                 TEXT NOT NULL,
    source_ref             TEXT NOT NULL DEFAULT '',
    kind                   TEXT NOT NULL,
    addressee_collation_id TEXT NOT NULL,
    addressee_name         TEXT NOT NULL DEFAULT '',
    addressee_department   TEXT NOT NULL DEFAULT '',
    content                TEXT NOT NULL,
    issued_on              TEXT NOT NULL,
    due_on                 TEXT NOT NULL,
    response               TEXT NOT NULL DEFAULT '',
    responded_on           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gov_instructions_due ON gov_instructions (due_on) WHERE responded_on = '';

CREATE TABLE gov_misuse_cases (
    id               TEXT PRIMARY KEY,
    opened_on        TEXT NOT NULL,
    source           TEXT NOT NULL,
    summary          TEXT NOT NULL,
    judgement        TEXT NOT NULL DEFAULT '',
    judgement_reason TEXT NOT NULL DEFAULT '',
    judged_on        TEXT NOT NULL DEFAULT '',
    closed_on        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE gov_misuse_log_refs (
    case_id   TEXT NOT NULL REFERENCES gov_misuse_cases (id),
    log_index INTEGER NOT NULL,
    proof     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, log_index)
);

CREATE TABLE gov_report_requests (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES gov_misuse_cases (id),
    addressee_kind TEXT NOT NULL,
    addressee      TEXT NOT NULL,
    requested_on   TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    answer         TEXT NOT NULL DEFAULT '',
    answered_on    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE gov_case_entries (
    id       TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES gov_misuse_cases (id),
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL,
    entry_on TEXT NOT NULL,
    entry_by TEXT NOT NULL
);

CREATE TABLE gov_room_authorizations (
    id           TEXT PRIMARY KEY,
    room         TEXT NOT NULL,
    collation_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    granted_by   TEXT NOT NULL,
    revoked_on   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gov_room_authorizations_holder ON gov_room_authorizations (collation_id, room);

CREATE TABLE gov_room_events (
    id               TEXT PRIMARY KEY,
    room             TEXT NOT NULL,
    collation_id     TEXT NOT NULL,
    direction        TEXT NOT NULL,
    at               INTEGER NOT NULL,
    source           TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    outcome          TEXT NOT NULL,
    authorization_id TEXT NOT NULL DEFAULT '',
    recorded_by      TEXT NOT NULL
);
CREATE INDEX gov_room_events_at ON gov_room_events (at);

CREATE TABLE gov_alerts (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    room         TEXT NOT NULL DEFAULT '',
    collation_id TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    detail       TEXT NOT NULL,
    answered_by  TEXT NOT NULL DEFAULT '',
    answer       TEXT NOT NULL DEFAULT '',
    answered_at  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE gov_room_reports (
    id           TEXT PRIMARY KEY,
    period_from  TEXT NOT NULL,
    period_until TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    summary      TEXT NOT NULL,
    entries      INTEGER NOT NULL,
    refusals     INTEGER NOT NULL
);

CREATE TABLE gov_assets (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    identity_info    INTEGER NOT NULL,
    location         TEXT NOT NULL DEFAULT '',
    manager_role     TEXT NOT NULL,
    manager          TEXT NOT NULL,
    management_rules TEXT NOT NULL,
    registered_on    TEXT NOT NULL
);

CREATE TABLE gov_identity_handlers (
    id            TEXT PRIMARY KEY,
    collation_id  TEXT NOT NULL,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL DEFAULT '',
    designated_by TEXT NOT NULL,
    revoked_on    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gov_identity_handlers_holder ON gov_identity_handlers (collation_id);

CREATE TABLE gov_forms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    rules       TEXT NOT NULL,
    retention   TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_on  TEXT NOT NULL
);

CREATE TABLE gov_print_log (
    id              TEXT PRIMARY KEY,
    form_id         TEXT NOT NULL REFERENCES gov_forms (id),
    printed_by      TEXT NOT NULL,
    printed_on      TEXT NOT NULL,
    copies          INTEGER NOT NULL,
    purpose         TEXT NOT NULL,
    disposed_on     TEXT NOT NULL DEFAULT '',
    disposal_method TEXT NOT NULL DEFAULT '',
    disposed_by     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE gov_outsourcing (
    id               TEXT PRIMARY KEY,
    title            TEXT NOT NULL,
    contractor       TEXT NOT NULL,
    content          TEXT NOT NULL,
    reason           TEXT NOT NULL,
    protection_terms TEXT NOT NULL,
    requested_on     TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    council_item_id  TEXT NOT NULL DEFAULT '',
    council_opinion  TEXT NOT NULL DEFAULT '',
    opinion_on       TEXT NOT NULL DEFAULT '',
    approved_on      TEXT NOT NULL DEFAULT '',
    approved_by      TEXT NOT NULL DEFAULT '',
    clauses_checked_on TEXT NOT NULL DEFAULT '',
    active_from      TEXT NOT NULL DEFAULT '',
    active_until     TEXT NOT NULL DEFAULT '',
    next_inspection_due TEXT NOT NULL DEFAULT ''
);

CREATE TABLE gov_contract_clauses (
    outsourcing_id TEXT NOT NULL REFERENCES gov_outsourcing (id),
    clause_type    TEXT NOT NULL,
    reference      TEXT NOT NULL,
    PRIMARY KEY (outsourcing_id, clause_type)
);

CREATE TABLE gov_inspections (
    id               TEXT PRIMARY KEY,
    outsourcing_id   TEXT NOT NULL REFERENCES gov_outsourcing (id),
    inspected_on     TEXT NOT NULL,
    inspector        TEXT NOT NULL,
    findings         TEXT NOT NULL,
    follow_up        TEXT NOT NULL DEFAULT '',
    follow_up_due    TEXT NOT NULL DEFAULT '',
    follow_up_done_on TEXT NOT NULL DEFAULT ''
);
