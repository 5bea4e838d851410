-- The viewer overlay (an OBS browser source) opens with a token, not a login: read-only,
-- revocable, kept hashed.
CREATE TABLE overlay_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX overlay_tokens_workspace ON overlay_tokens (workspace_id);
