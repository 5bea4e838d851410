-- TikTok's room id given by hand, for an account whose room the lookup cannot find.
ALTER TABLE livestreams ADD COLUMN room_id_override TEXT;
