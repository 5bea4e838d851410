DROP INDEX livestreams_updated_at;
