-- 002: a linked alert keeps what it was (Alertmanager forgets an alert once it resolves;
-- the incident's record and its post-mortem must not).
ALTER TABLE incident_alerts
    ADD COLUMN name      text NOT NULL DEFAULT '',
    ADD COLUMN service   text NOT NULL DEFAULT '',
    ADD COLUMN severity  text NOT NULL DEFAULT '',
    ADD COLUMN category  text NOT NULL DEFAULT '',
    ADD COLUMN starts_at timestamptz;
