-- The rules the アクセス管理責任者 sets (G13.1: managing 照合ID and 操作者ID;
-- G13.2: registering and deleting 照合情報), each version kept: the
-- compliance report reads the one in force.
CREATE TABLE gov_rules (
    id        TEXT PRIMARY KEY,
    article   TEXT NOT NULL,
    body      TEXT NOT NULL,
    set_on    TEXT NOT NULL,
    set_by    TEXT NOT NULL
);
CREATE INDEX gov_rules_article ON gov_rules (article, set_on);
