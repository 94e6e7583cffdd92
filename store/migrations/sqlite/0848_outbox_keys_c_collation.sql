-- PostgreSQL compares the outbox's message IDs and destinations byte by byte
-- (COLLATE "C") from here on. SQLite's default collation is already BINARY
-- (byte order): nothing changes here.
SELECT 1;
