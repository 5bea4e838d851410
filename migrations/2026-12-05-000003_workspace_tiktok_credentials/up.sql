-- A workspace's own sign-server API key and TikTok session, sealed (AES-256-GCM, with a key
-- derived from the installation's secret): write-only through the API.
CREATE TABLE tiktok_credentials (
    workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    sign_api_key TEXT,
    session_id TEXT,
    updated_at BIGINT NOT NULL
);
