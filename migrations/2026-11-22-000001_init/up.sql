-- The whole data model of livectl. Times are Unix milliseconds, ids are prefixed text,
-- JSON is stored as text, secrets only as SHA-256 or bcrypt hashes.

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE denied_access_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE invites (
    email TEXT PRIMARY KEY NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    created_by TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    suspended_at BIGINT,
    suspended_reason TEXT,
    kill_switch_engaged BOOLEAN NOT NULL DEFAULT FALSE,
    kill_switch_reason TEXT,
    kill_switch_changed_at BIGINT,
    kill_switch_changed_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (created_by, name)
);

CREATE TABLE members (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_workspace ON api_keys(workspace_id);

CREATE TABLE livestreams (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    name TEXT NOT NULL,
    auto_reconnect BOOLEAN NOT NULL DEFAULT TRUE,
    desired_connected BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    room_id TEXT,
    last_error TEXT,
    stats TEXT NOT NULL DEFAULT '{}',
    connected_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, source, unique_id)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    transport TEXT NOT NULL,
    allowed_commands TEXT NOT NULL,
    max_duration_ms BIGINT NOT NULL,
    max_commands_per_minute INTEGER NOT NULL,
    last_seen_at BIGINT,
    agent_version TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE agent_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX agent_tokens_device ON agent_tokens(device_id);

CREATE TABLE rules (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    livestream_id TEXT REFERENCES livestreams(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    priority INTEGER NOT NULL DEFAULT 0,
    when_json TEXT NOT NULL,
    then_json TEXT NOT NULL,
    cooldown_ms BIGINT NOT NULL DEFAULT 0,
    per_user_cooldown_ms BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rules_workspace ON rules(workspace_id);

CREATE TABLE rule_counters (
    rule_id TEXT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    value BIGINT NOT NULL DEFAULT 0,
    armed BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, scope)
);

CREATE TABLE commands (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    rule_id TEXT,
    event_id TEXT,
    cmd TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    detail TEXT,
    event_at BIGINT,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    acked_at BIGINT
);
CREATE INDEX commands_workspace ON commands(workspace_id, id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log(workspace_id, id);
