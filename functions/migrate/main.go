// Command migrate applies the database migrations on deploy: it is the
// handler of a CloudFormation custom resource (CDK Provider framework) that
// changes whenever the migrations do. It runs as the database's master
// user, and after the migrations creates or updates the application's own
// least-privilege role from the secret APP_DATABASE_SECRET_ARN names.
//
// Migrations only go forward. Deleting the resource keeps the data and the
// schema, and an Update that carries an older MigrationsVersion than the
// resource had (CloudFormation rolling a failed deploy back, or a deploy of
// older code) changes nothing: goose never runs a Down migration here.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/signkey"
	"github.com/gispayments/gis-payments/internal/wiring"
)

// event and response are the Provider framework's, as the contract has them.
type (
	event    = contract.MigrateEvent
	response = contract.MigrateResult
)

const resourceID = "gis-payments-database-migrations"

// steps are what a Create or a forward Update does.
type steps struct {
	migrate func(context.Context) error
	appRole func(context.Context) error // nil: no application role to manage (local runs)
}

func main() {
	a := wiring.MustOpen("migrate")
	s := steps{migrate: a.Store.Migrate}
	if arn := os.Getenv("APP_DATABASE_SECRET_ARN"); arn != "" {
		s.appRole = func(ctx context.Context) error {
			role, password, err := credentials(ctx, arn)
			if err != nil {
				return err
			}
			conn, err := a.Store.Pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			return ensureAppRole(ctx, conn.Conn(), role, password)
		}
	}
	lambdaedge.Main("migrate", func(ctx context.Context, e event) (response, error) {
		r, did, err := handle(ctx, e, s)
		if err == nil {
			a.Log.Info("migrations", "request", e.RequestType, "did", did,
				"migrations_version", e.ResourceProperties["MigrationsVersion"], "migrations_hash", e.ResourceProperties["MigrationsHash"])
		}
		return r, err
	})
}

// handle applies the migrations and the application role on Create and on
// a forward Update; it does nothing on Delete or on an Update to an older
// migrations version. did says which.
func handle(ctx context.Context, e event, s steps) (r response, did string, err error) {
	r = response{PhysicalResourceID: resourceID} // never changes: a new id would make CloudFormation delete the old one
	switch {
	case e.RequestType == "Delete":
		return r, "nothing: the schema and the data stay", nil
	case e.RequestType == "Update" && backwards(e):
		return r, "nothing: migrations only go forward (a rollback or older code)", nil
	case e.RequestType != "Create" && e.RequestType != "Update":
		return response{}, "", errors.New("migrate: unknown RequestType " + strconv.Quote(e.RequestType))
	}
	if err := s.migrate(ctx); err != nil {
		return response{}, "", err
	}
	did = "migrated"
	if s.appRole != nil {
		if err := s.appRole(ctx); err != nil {
			return response{}, "", err
		}
		did = "migrated, application role up to date"
	}
	r.Data = map[string]string{"MigrationsVersion": e.ResourceProperties["MigrationsVersion"]}
	return r, did, nil
}

// backwards reports an Update whose MigrationsVersion is below the one the
// resource had: what CloudFormation sends when it rolls a failed deploy
// back to the previous properties.
func backwards(e event) bool {
	next, err1 := strconv.Atoi(e.ResourceProperties["MigrationsVersion"])
	prev, err2 := strconv.Atoi(e.OldResourceProperties["MigrationsVersion"])
	return err1 == nil && err2 == nil && next < prev
}

// credentials reads a secret holding JSON with username and password.
func credentials(ctx context.Context, arn string) (user, password string, err error) {
	raw, err := signkey.SecretString(ctx, arn)
	if err != nil {
		return "", "", err
	}
	var c struct{ Username, Password string }
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return "", "", errors.New("app database secret: not JSON with username and password")
	}
	return c.Username, c.Password, nil
}
