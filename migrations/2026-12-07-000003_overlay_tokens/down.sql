DROP TABLE overlay_tokens;
