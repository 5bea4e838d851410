-- A user's dashboard preferences (language, confirm before stop, the kill-switch shortcut,
-- feed density, reduced motion), as JSON; and what the account page lists of each sign-in:
-- when it started, and the browser and address it came from (copied along its rotations).
ALTER TABLE users ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';
ALTER TABLE refresh_tokens ADD COLUMN started_at BIGINT;
ALTER TABLE refresh_tokens ADD COLUMN client TEXT;
ALTER TABLE refresh_tokens ADD COLUMN address TEXT;
