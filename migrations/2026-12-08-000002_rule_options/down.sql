ALTER TABLE rules DROP COLUMN options_json;
