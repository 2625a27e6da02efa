// Command enricher is the step between reconciliation (and approval) and
// packing: it asks GIS ZhKKh for the payment documents of a supplier run's
// rows that name none (exportPaymentDocumentDetails), so that the packer
// can load them, and holds those it cannot resolve with a reason.
package main

import (
	"github.com/gispayments/gis-payments/internal/enricher"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("enricher", "GIS_ENDPOINT", "GIS_SIGNING_KEY")
	gis, client := a.MustGIS()
	// Queries are signed as packages are: the organisation's own key or
	// the operator's.
	keys := &packer.Keys{Operator: a.Config.SigningKey, OperatorCert: a.Config.SigningCert, Metrics: wiring.MetricsWriter()}
	signing := &packer.Service{Keys: keys, Log: a.Log}
	svc := &enricher.Service{Store: a.Store, GIS: client, SignerFor: signing.SignerFor, CallTimeout: gis.Client.Timeout,
		Concurrency: gis.Concurrency, Log: a.Log}
	if l := a.GISLimiter(gis); l != nil {
		svc.Limiter = l
	}
	lambdaedge.Main("enricher", svc.Enrich)
}
