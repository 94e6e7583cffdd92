-- inbox_versions as one b-tree keyed by ordering_key (WITHOUT ROWID): every
-- received ordered message upserts a random key here, and a rowid table
-- with a separate primary-key index dirtied two random pages per message
-- where one suffices (docs/performance.md). SQLite only: a
-- PostgreSQL table is a heap with its index either way.
CREATE TABLE inbox_versions_clustered (
    ordering_key TEXT    PRIMARY KEY,
    applied      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO inbox_versions_clustered (ordering_key, applied) SELECT ordering_key, applied FROM inbox_versions;
DROP TABLE inbox_versions;
ALTER TABLE inbox_versions_clustered RENAME TO inbox_versions;
