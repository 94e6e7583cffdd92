-- The batch lookup (node.LookupIdentities) reads a person's record from an
-- index that holds it (an index-only scan): one B-tree page per person
-- instead of a leaf of the primary key and a heap page, each a copy from the
-- OS cache when the pool is smaller than the store (docs/scale.md). A
-- B-tree entry is at most 2,704 bytes: records of more than 2,000 bytes of
-- JSON (none in practice; a name's six parts of up to 100 runes can make
-- one) are left to a small index of their own, which the lookup reads too,
-- so that no report can be refused for its size. Both indexes carry the
-- record, so an identity report no longer updates the current row in place
-- (HOT); the primary key stays the upsert's conflict target.
CREATE INDEX flow_identity_lookup ON flow_identity (resident_code)
    INCLUDE (info, updated_at) WHERE octet_length(info) <= 2000;
CREATE INDEX flow_identity_lookup_long ON flow_identity (resident_code)
    WHERE octet_length(info) > 2000;
