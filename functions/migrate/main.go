// Command migrate applies the database migrations on deploy: it is the
// handler of a CloudFormation custom resource (CDK Provider framework) that
// changes whenever the migrations do. Deleting the resource keeps the data.
package main

import (
	"context"

	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

// event is what the Provider framework sends the onEvent handler.
type event struct {
	RequestType        string            `json:"RequestType"`
	PhysicalResourceID string            `json:"PhysicalResourceId,omitempty"`
	ResourceProperties map[string]string `json:"ResourceProperties,omitempty"`
}

type response struct {
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	Data               map[string]string `json:"Data,omitempty"`
}

const resourceID = "gis-payments-database-migrations"

func main() {
	a := wiring.MustOpen("migrate")
	lambdaedge.Main(func(ctx context.Context, e event) (response, error) {
		if e.RequestType == "Delete" {
			return response{PhysicalResourceID: resourceID}, nil
		}
		if err := a.Store.Migrate(ctx); err != nil {
			return response{}, err
		}
		a.Log.Info("migrated", "request", e.RequestType, "migrations_hash", e.ResourceProperties["MigrationsHash"])
		return response{PhysicalResourceID: resourceID, Data: map[string]string{"MigrationsHash": e.ResourceProperties["MigrationsHash"]}}, nil
	})
}
