package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ensureAppRole creates (or brings up to date) the application's database
// role: it may log in with password, connect to the current database, use
// the current schema and read and write its tables and sequences, now and
// those later migrations create (default privileges of the migrating user),
// and nothing else: it owns nothing, so it can neither create nor alter nor
// drop a table. goose's version table is read-only to it. The password is
// set on every run, so the role follows its secret (after a rotation the
// secret already holds the password the role has). conn is the master
// user's, the one that ran the migrations.
func ensureAppRole(ctx context.Context, conn *pgx.Conn, role, password string) error {
	if role == "" || password == "" {
		return fmt.Errorf("app role: the secret has no username or password")
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
			return fmt.Errorf("app role: %w", err)
		}
		verb := "ALTER"
		if !exists {
			verb = "CREATE"
		}
		// Utility statements take no parameters: format() quotes the
		// names (%I) and the password (%L) server-side.
		var statements []string
		err := tx.QueryRow(ctx, `SELECT ARRAY[
			format('%s ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L', $1::text, $2::text, $3::text),
			format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), $2),
			format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), $2),
			format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), $2),
			format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), $2),
			format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', current_schema(), $2),
			format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE ON SEQUENCES TO %I', current_schema(), $2),
			format('REVOKE CREATE ON SCHEMA %I FROM %I', current_schema(), $2),
			format('REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM %I', $2)]`,
			verb, role, password).Scan(&statements)
		if err != nil {
			return fmt.Errorf("app role: %w", err)
		}
		for i, sql := range statements {
			if _, err := tx.Exec(ctx, sql); err != nil {
				// Never the statement itself: the first one holds the password.
				return fmt.Errorf("app role %s: statement %d: %w", role, i+1, err)
			}
		}
		return nil
	})
}
