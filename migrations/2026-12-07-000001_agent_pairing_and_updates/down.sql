ALTER TABLE devices DROP COLUMN agent_update;
ALTER TABLE devices DROP COLUMN agent_platform;
DROP TABLE agent_pairings;
