ALTER TABLE livestreams DROP COLUMN room_id_override;
