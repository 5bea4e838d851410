-- The fencing token of the node lease a livestream's state was last written under: a node
-- that lost the lease (paused, cut off) can no longer overwrite the new holder's state.
ALTER TABLE livestreams ADD COLUMN lease_fence BIGINT NOT NULL DEFAULT 0;
