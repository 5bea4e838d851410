-- Why each rule did or did not fire on an event that issued a command, kept so that the
-- command history can show it later (the live "why?" panel only sees events as they happen).
CREATE TABLE event_traces (
    event_id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    results TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX event_traces_workspace ON event_traces (workspace_id, created_at);
