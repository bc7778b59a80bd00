-- Operations (issue 19): every completed full rebuild of the warehouse, with the schema
-- version it was built at. A migration whose file says "-- rebuild: required" changes
-- what rows mean; the loader refuses to run until a rebuild newer than it is recorded
-- here (see chstore.CheckSchema and docs/OPERATIONS.md).
CREATE TABLE IF NOT EXISTS warehouse_rebuild (
    finished_at    DateTime,
    schema_version UInt32,
    participants   UInt64,
    rows           UInt64
) ENGINE = MergeTree ORDER BY finished_at;
