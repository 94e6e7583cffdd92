-- flow_identity keyed by (resident_code, municipality) instead of
-- (municipality, resident_code) plus a second index on resident_code: the
-- lookups by resident code use the key itself, and every received identity
-- report updates one index instead of two (docs/performance.md).
ALTER TABLE flow_identity DROP CONSTRAINT flow_identity_pkey;
ALTER TABLE flow_identity ADD PRIMARY KEY (resident_code, municipality);
DROP INDEX flow_identity_code;
