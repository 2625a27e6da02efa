package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// A Delete and an Update back to an older migrations version (what
// CloudFormation sends when it rolls a failed deploy back) touch nothing;
// Create and a forward Update migrate, then set up the application role.
func TestHandleOnlyGoesForward(t *testing.T) {
	props := func(v string) map[string]string {
		return map[string]string{"MigrationsVersion": v, "MigrationsHash": "h" + v}
	}
	for _, tc := range []struct {
		name string
		e    event
		want string // the steps run, in order
	}{
		{"create", event{RequestType: "Create", ResourceProperties: props("6")}, "migrate,role"},
		{"forward update", event{RequestType: "Update", ResourceProperties: props("7"), OldResourceProperties: props("6")}, "migrate,role"},
		{"same version, changed file", event{RequestType: "Update", ResourceProperties: props("6"), OldResourceProperties: props("6")}, "migrate,role"},
		{"rollback of an update", event{RequestType: "Update", ResourceProperties: props("6"), OldResourceProperties: props("7")}, ""},
		{"delete", event{RequestType: "Delete", PhysicalResourceID: resourceID, ResourceProperties: props("6")}, ""},
		{"delete after a failed create (rollback)", event{RequestType: "Delete", PhysicalResourceID: "whatever"}, ""},
	} {
		var ran []string
		s := steps{
			migrate: func(context.Context) error { ran = append(ran, "migrate"); return nil },
			appRole: func(context.Context) error { ran = append(ran, "role"); return nil },
		}
		r, _, err := handle(context.Background(), tc.e, s)
		if err != nil || strings.Join(ran, ",") != tc.want || r.PhysicalResourceID != resourceID {
			t.Errorf("%s: ran %v, %+v, %v; want %q and the fixed physical id", tc.name, ran, r, err, tc.want)
		}
	}
	failing := steps{migrate: func(context.Context) error { return errors.New("goose: 00007 failed") }}
	if _, _, err := handle(context.Background(), event{RequestType: "Update", ResourceProperties: props("7")}, failing); err == nil {
		t.Error("a failed migration was reported as done")
	}
	if _, _, err := handle(context.Background(), event{RequestType: "Rollback"}, failing); err == nil {
		t.Error("an unknown request type was accepted")
	}
}

// The migrate logic run as the master user creates the application role;
// connected as that role, the functions' work (insert, update, select a
// payment) succeeds and any DDL fails. Run twice, as every deploy does.
func TestAppRoleCanWriteButNotChangeTheSchema(t *testing.T) {
	ctx := context.Background()
	base := pgtest.URL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s (start Postgres or set TEST_DATABASE_URL): %v", base, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	schema, role := "t_"+suffix, "gis_app_"+suffix
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Exec(ctx, "DROP OWNED BY "+role)
		admin.Exec(ctx, "DROP ROLE "+role)
	})
	masterURL := withURL(t, base, "", schema)

	for range 2 {
		st, err := postgres.Open(ctx, masterURL)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := st.Pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := steps{migrate: st.Migrate, appRole: func(ctx context.Context) error {
			return ensureAppRole(ctx, conn.Conn(), role, "s3cret-'quoted\"")
		}}
		if _, _, err := handle(ctx, event{RequestType: "Create", ResourceProperties: map[string]string{"MigrationsVersion": "6"}}, s); err != nil {
			t.Fatal(err)
		}
		conn.Release()
		st.Close()
	}

	app, err := pgx.Connect(ctx, withURL(t, base, role, schema))
	if err != nil {
		t.Fatalf("the application role cannot log in: %v", err)
	}
	defer app.Close(ctx)
	var superuser, createRole, createDB bool
	if err := app.QueryRow(ctx, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user").
		Scan(&superuser, &createRole, &createDB); err != nil || superuser || createRole || createDB {
		t.Errorf("role attributes: superuser %v, createrole %v, createdb %v, %v", superuser, createRole, createDB, err)
	}
	var payment int64
	err = app.QueryRow(ctx, `
		WITH o AS (INSERT INTO organization (code, name, inn, org_ppa_guid, kind)
		           VALUES ('uk-dom', 'ООО «Дом»', '7701234567', gen_random_uuid(), 'uk_rso') RETURNING id),
		     r AS (INSERT INTO run (organization_id, run_key, status) SELECT id, 'key', 'created' FROM o RETURNING id, organization_id),
		     rr AS (INSERT INTO recon_row (run_id, day, status, bill_number, supplier_id, service_id, billing_file_id, billing_main, billing_fine)
		            SELECT id, '2025-01-02', 'billing_only', 'b1', 's1', 'v1', 1, 100, 0 FROM r RETURNING id)
		INSERT INTO payment (run_id, organization_id, recon_row_id, order_id, amount, transport_guid, status)
		SELECT r.id, r.organization_id, rr.id, 'order-1', 100, gen_random_uuid(), 'queued' FROM r, rr
		RETURNING id`).Scan(&payment)
	if err != nil {
		t.Fatalf("the application role cannot insert a payment: %v", err)
	}
	if _, err := app.Exec(ctx, "UPDATE payment SET updated_at = now() WHERE id = $1", payment); err != nil {
		t.Errorf("update: %v", err)
	}
	for _, ddl := range []string{
		"CREATE TABLE sneaky (id int)",
		"DROP TABLE payment",
		"ALTER TABLE payment ADD COLUMN sneaky int",
		"TRUNCATE payment",
		"DELETE FROM goose_db_version",
		"CREATE SCHEMA sneaky",
	} {
		if _, err := app.Exec(ctx, ddl); !isDenied(err) {
			t.Errorf("%s as the application role: %v, want permission denied / must be owner", ddl, err)
		}
	}
	// A table a later migration creates is the role's to use at once.
	if _, err := admin.Exec(ctx, "SET search_path TO "+schema+"; CREATE TABLE later (id bigint GENERATED ALWAYS AS IDENTITY, v text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, "INSERT INTO later (v) VALUES ('x')"); err != nil {
		t.Errorf("a table created later by the master user: %v", err)
	}
}

func isDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501" // insufficient_privilege, "must be owner" included
}

// withURL is base as user (when given) with search_path set to schema.
func withURL(t *testing.T, base, user, schema string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.User(user)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
