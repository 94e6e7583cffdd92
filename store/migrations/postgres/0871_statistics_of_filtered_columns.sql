-- ANALYZE gathers statistics only of the columns a query filters, joins or
-- orders on. The others are read whole and never matched: the names, the
-- addresses' text, the notices' JSON (identity_history.info, outbox.body).
-- Their statistics (a 30,000-row sample sorted under the database's
-- collation for each) were most of the ANALYZE after a first load, and no
-- plan reads them. A column that comes to be filtered on gets its
-- statistics back: ALTER COLUMN … SET STATISTICS -1.
ALTER TABLE residents
    ALTER COLUMN kanji SET STATISTICS 0,
    ALTER COLUMN kana SET STATISTICS 0,
    ALTER COLUMN former_surname SET STATISTICS 0,
    ALTER COLUMN former_surname_kana SET STATISTICS 0,
    ALTER COLUMN alias SET STATISTICS 0,
    ALTER COLUMN alias_kana SET STATISTICS 0,
    ALTER COLUMN sex SET STATISTICS 0,
    ALTER COLUMN address_lg SET STATISTICS 0,
    ALTER COLUMN address_text SET STATISTICS 0,
    ALTER COLUMN address_since SET STATISTICS 0,
    ALTER COLUMN resident_since SET STATISTICS 0,
    ALTER COLUMN domicile SET STATISTICS 0,
    ALTER COLUMN domicile_head SET STATISTICS 0,
    ALTER COLUMN previous_lg SET STATISTICS 0,
    ALTER COLUMN previous_address SET STATISTICS 0,
    ALTER COLUMN removal_date SET STATISTICS 0,
    ALTER COLUMN moveout_dest_text SET STATISTICS 0,
    ALTER COLUMN moveout_confirmed_lg SET STATISTICS 0,
    ALTER COLUMN moveout_confirmed_text SET STATISTICS 0,
    ALTER COLUMN moveout_confirmed_date SET STATISTICS 0;
ALTER TABLE identity_history ALTER COLUMN info SET STATISTICS 0;
ALTER TABLE outbox
    ALTER COLUMN body SET STATISTICS 0,
    ALTER COLUMN envelope SET STATISTICS 0,
    ALTER COLUMN receipt SET STATISTICS 0;
