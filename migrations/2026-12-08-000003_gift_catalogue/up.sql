-- The gifts TikTok has sent to this installation's livestreams (public catalogue data: name,
-- price, picture), for the presets' gift pickers.
CREATE TABLE gifts (
    gift_id BIGINT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    diamond_count BIGINT NOT NULL,
    image_url TEXT,
    seen_at BIGINT NOT NULL
);
