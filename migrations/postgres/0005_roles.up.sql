-- Least-privilege database roles (issue 11). Migrations run as the owner role (the
-- database's owner, "outcomes" on the local stack), which owns every table. Two roles
-- without ownership do the work, so that a flaw in either cannot rewrite history:
--
--   outcomes_api     the GraphQL API and the admin CLI's data commands: reads and writes
--                    the operational tables; on audit_log only SELECT and INSERT. Not the
--                    owner, so it cannot ALTER audit_log, disable or drop its triggers, and
--                    has no UPDATE, DELETE or TRUNCATE on it.
--   outcomes_loader  the warehouse loader: reads what it snapshots, marks change events
--                    processed, keeps its bookkeeping; no access to audit_log and no write
--                    to personal data.
--
-- Both roles exist before this migration runs (scripts/stack.sh, docker-compose.yml):
-- roles belong to the cluster, not to one database. Neither has SUPERUSER or BYPASSRLS,
-- so row-level security applies to both. Tables that later migrations create get the
-- same grants through the default privileges at the end.

GRANT USAGE ON SCHEMA public TO outcomes_api, outcomes_loader;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO outcomes_api;
REVOKE ALL ON audit_log FROM outcomes_api;
GRANT SELECT, INSERT ON audit_log TO outcomes_api;
REVOKE ALL ON schema_migrations FROM outcomes_api;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO outcomes_api;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO outcomes_loader;
REVOKE ALL ON audit_log, schema_migrations, idempotency_key, staff_user FROM outcomes_loader;
GRANT INSERT, UPDATE ON change_event, loader_state TO outcomes_loader;
GRANT USAGE ON SEQUENCE change_event_id_seq, warehouse_version_seq TO outcomes_loader;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO outcomes_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO outcomes_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO outcomes_loader;
