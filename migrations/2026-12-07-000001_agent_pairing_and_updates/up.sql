-- `livectl agent pair`: a short code the agent shows and an owner or admin approves in the
-- dashboard. Codes are kept hashed; the agent token issued at approval is kept only sealed
-- with a key derived from the agent's poll secret (which is kept hashed), and wiped once
-- the agent has taken it.
CREATE TABLE agent_pairings (
    id TEXT PRIMARY KEY NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    hostname TEXT NOT NULL,
    platform TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    sealed_token TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX agent_pairings_expiry ON agent_pairings (expires_at);

-- What the agent says of its own updates ("updating to 0.2.0", "rolled back: …"), and its
-- platform (which build it needs).
ALTER TABLE devices ADD COLUMN agent_platform TEXT;
ALTER TABLE devices ADD COLUMN agent_update TEXT;
