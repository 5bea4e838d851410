-- Rule options (games.md § Rule options: arm, pause_on_feed_trouble, price_scaling) and the
-- part a preset's rule plays in its game, as one JSON object.
ALTER TABLE rules ADD COLUMN options_json TEXT NOT NULL DEFAULT '{}';
