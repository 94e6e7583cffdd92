-- An agency's provisions by time: the national server restores an agency's
-- persons asked for today (its daily quota, agencies.toml) from them after a
-- restart, instead of starting the day again at zero.
CREATE INDEX flow_provisions_agency ON flow_provisions (agency, provided_at);
