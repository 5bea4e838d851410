ALTER TABLE livestreams DROP COLUMN lease_fence;
