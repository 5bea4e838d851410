-- What a command for a busy device does (games.md § Device modes), and who caused a command
-- (the overlay's "last actions" and the history name the viewer).
ALTER TABLE devices ADD COLUMN concurrency TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE devices ADD COLUMN max_queue INTEGER NOT NULL DEFAULT 16;
ALTER TABLE devices ADD COLUMN fair_share_pct INTEGER NOT NULL DEFAULT 100;
ALTER TABLE commands ADD COLUMN viewer TEXT;
