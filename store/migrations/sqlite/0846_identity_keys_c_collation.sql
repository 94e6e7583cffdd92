-- PostgreSQL compares the national store's key columns byte by byte
-- (COLLATE "C") and leaves free space on the pages of the current rows from
-- here on. SQLite's default collation is already BINARY (byte order) and
-- its pages have no fill factor: nothing changes here.
SELECT 1;
