-- 001: the shared incident store. Applied once, under an advisory lock (sources/incidents.py).
CREATE TABLE incidents (
    id              bigserial PRIMARY KEY,
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    severity        text        NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    status          text        NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    services        text[]      NOT NULL DEFAULT '{}',
    commander       text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    resolved_at     timestamptz,
    version         integer     NOT NULL DEFAULT 1
);
CREATE INDEX incidents_open ON incidents (created_at DESC) WHERE status <> 'resolved';

-- every change is a timeline event; consoles catch up by the last event id they saw
CREATE TABLE incident_events (
    id          bigserial PRIMARY KEY,
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    kind        text        NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, id);

CREATE TABLE incident_alerts (
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    fingerprint text        NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    linked_by   text        NOT NULL,
    PRIMARY KEY (incident_id, fingerprint)
);

-- every console's actions (the JSONL audit file stays as the local copy)
CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text        NOT NULL,
    action text        NOT NULL,
    target text        NOT NULL,
    ok     boolean     NOT NULL,
    detail jsonb       NOT NULL DEFAULT '{}'
);

-- one notification per timeline event: every console listening re-reads from its last id
CREATE FUNCTION obsconsole_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('obsconsole_incidents', json_build_object('incident', NEW.incident_id, 'event', NEW.id)::text);
    RETURN NEW;
END $$;
CREATE TRIGGER incident_events_notify AFTER INSERT ON incident_events
    FOR EACH ROW EXECUTE FUNCTION obsconsole_notify_event();
