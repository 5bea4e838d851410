-- Preset mini-games: a game is ordinary rules plus what the streamer filled in, kept so the
-- game can be listed, shown and removed as one.
CREATE TABLE presets (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX presets_workspace ON presets (workspace_id, created_at);
