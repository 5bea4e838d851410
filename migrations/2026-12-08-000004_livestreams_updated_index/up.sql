-- The rule engines read the livestreams written since their last look, once a second.
CREATE INDEX livestreams_updated_at ON livestreams (updated_at);
