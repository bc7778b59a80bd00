package securitytest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestLeastPrivilegeDatabaseRoles: migrations ran as the owner; the API's role does not
// own audit_log and cannot alter it, disable or drop its triggers, update, delete or
// truncate it; the loader's role has only what it needs. Each refusal is PostgreSQL's
// own (insufficient privilege or must be owner), not a trigger's.
func TestLeastPrivilegeDatabaseRoles(t *testing.T) {
	ctx := context.Background()
	owner := testenv.PostgresURL(t)
	connect := func(role string) *pgx.Conn {
		c, err := pgx.Connect(ctx, testenv.RoleURL(t, owner, role))
		if err != nil {
			t.Fatalf("connect as %s: %v", role, err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		if _, err := c.Exec(ctx, `SELECT set_config('app.org_ids', '*', false)`); err != nil {
			t.Fatal(err)
		}
		return c
	}
	api, ldr := connect(testenv.APIRole), connect(testenv.LoaderRole)

	var tableOwner string
	if err := api.QueryRow(ctx, `SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'`).Scan(&tableOwner); err != nil {
		t.Fatal(err)
	}
	if tableOwner == testenv.APIRole || tableOwner == testenv.LoaderRole {
		t.Errorf("audit_log is owned by %s", tableOwner)
	}
	for _, role := range []string{testenv.APIRole, testenv.LoaderRole} {
		var super, bypass, createRole, createDB bool
		if err := api.QueryRow(ctx, `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, role).
			Scan(&super, &bypass, &createRole, &createDB); err != nil {
			t.Fatal(err)
		}
		if super || bypass || createRole || createDB {
			t.Errorf("%s: superuser %v, bypassrls %v, createrole %v, createdb %v", role, super, bypass, createRole, createDB)
		}
	}

	refused := func(c *pgx.Conn, who, sql string) {
		t.Helper()
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		_, err = tx.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		// 42501 insufficient_privilege; "must be owner" is 42501 too.
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s: %s: want a privilege error (42501), got %v", who, sql, err)
		}
	}
	allowed := func(c *pgx.Conn, who, sql string, args ...any) {
		t.Helper()
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			t.Errorf("%s: %s: %v", who, sql, err)
		}
	}

	for _, sql := range []string{
		`UPDATE audit_log SET subject = 'someone else'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`ALTER TABLE audit_log DISABLE TRIGGER ALL`,
		`DROP TRIGGER audit_log_no_update ON audit_log`,
		`ALTER TABLE audit_log ADD COLUMN note text`,
		`DROP TABLE audit_log`,
		`ALTER TABLE participant DISABLE ROW LEVEL SECURITY`,
		`DROP POLICY tenant_isolation ON participant`,
		`CREATE TABLE shadow (id int)`,
		`DELETE FROM schema_migrations`,
	} {
		refused(api, "api", sql)
	}
	allowed(api, "api", `INSERT INTO audit_log (subject, role, action, entity, operation, request_id) VALUES ('s', 'admin', 'read', 'x', 'y', 'z')`)
	allowed(api, "api", `SELECT count(*) FROM audit_log`)
	allowed(api, "api", `INSERT INTO organisation (code, name, kind) VALUES ('roles-test', 'Roles test', 'municipality')`)

	for _, sql := range []string{
		`SELECT count(*) FROM audit_log`,
		`INSERT INTO audit_log (subject, role, action, entity, operation, request_id) VALUES ('s', 'admin', 'read', 'x', 'y', 'z')`,
		`UPDATE participant SET given_name = 'x'`,
		`DELETE FROM participant`,
		`INSERT INTO organisation (code, name, kind) VALUES ('loader-test', 'Loader', 'municipality')`,
		`TRUNCATE change_event`,
		`DELETE FROM change_event`,
		`ALTER TABLE change_event DISABLE TRIGGER ALL`,
	} {
		refused(ldr, "loader", sql)
	}
	allowed(ldr, "loader", `UPDATE change_event SET processed_at = clock_timestamp() WHERE id < 0`)
	allowed(ldr, "loader", `SELECT nextval('warehouse_version_seq')`)
	allowed(ldr, "loader", `INSERT INTO loader_state (name, value) VALUES ('roles-test', 'x') ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`)
	allowed(ldr, "loader", `SELECT count(*) FROM participant`)
}
