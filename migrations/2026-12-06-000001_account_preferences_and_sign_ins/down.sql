ALTER TABLE refresh_tokens DROP COLUMN address;
ALTER TABLE refresh_tokens DROP COLUMN client;
ALTER TABLE refresh_tokens DROP COLUMN started_at;
ALTER TABLE users DROP COLUMN preferences;
