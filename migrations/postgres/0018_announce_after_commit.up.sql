-- Change events are announced after their transactions, not inside them.
--
-- change_event_notify (0001) sent a NOTIFY from every transaction that queued a change
-- event, that is from every write. PostgreSQL serialises the commits of all
-- transactions that NOTIFY: each takes one lock for the whole database at its commit and
-- holds it until the commit is on disk, so writers could no longer share a WAL flush
-- and committed one at a time (pgbench, eight clients: a one-row INSERT with a NOTIFY in
-- its transaction ran at a quarter to a third of its rate alone; make bench-notify,
-- docs/BENCHMARKS.md). The API now announces committed mutations itself, in a statement
-- of its own, coalesced (changes.Announcer), and outcomesctl once a writing command is
-- done (changes.AnnounceOnce); the loader still polls (OUTCOMES_LOADER_POLL_INTERVAL),
-- which finds writes made in SQL by hand.
DROP TRIGGER change_event_notify ON change_event;
DROP FUNCTION change_event_notify();
