ALTER TABLE commands DROP COLUMN viewer;
ALTER TABLE devices DROP COLUMN fair_share_pct;
ALTER TABLE devices DROP COLUMN max_queue;
ALTER TABLE devices DROP COLUMN concurrency;
