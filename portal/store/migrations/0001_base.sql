-- Base schema: the settings every later migration relies on.
-- Timestamps are timestamptz; amounts are numeric(78,0) (uint256 never passes through a float).
CREATE DOMAIN uint256 AS numeric(78, 0) CHECK (VALUE >= 0 AND VALUE < 2 ^ 256);
