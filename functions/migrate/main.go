// Command migrate applies the database migrations on deploy: it is the
// handler of a CloudFormation custom resource (CDK Provider framework) that
// changes whenever the migrations do. Deleting the resource keeps the data.
package main

import (
	"context"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

const resourceID = "gis-payments-database-migrations"

func main() {
	a := wiring.MustOpen("migrate")
	lambdaedge.Main("migrate", func(ctx context.Context, e contract.MigrateEvent) (contract.MigrateResult, error) {
		if e.RequestType == "Delete" {
			return contract.MigrateResult{PhysicalResourceID: resourceID}, nil
		}
		if err := a.Store.Migrate(ctx); err != nil {
			return contract.MigrateResult{}, err
		}
		a.Log.Info("migrated", "request", e.RequestType, "migrations_hash", e.ResourceProperties["MigrationsHash"])
		return contract.MigrateResult{PhysicalResourceID: resourceID, Data: map[string]string{"MigrationsHash": e.ResourceProperties["MigrationsHash"]}}, nil
	})
}
