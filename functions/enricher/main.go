// Command enricher is the step between reconciliation (and approval) and
// packing: it asks GIS ZhKKh for the payment documents of a supplier run's
// rows that name none (exportPaymentDocumentDetails), so that the packer
// can load them, and holds those it cannot resolve with a reason.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("enricher", "GIS_ENDPOINT", "GIS_SIGNING_KEY")
	a.MustGIS()
	lambdaedge.Main("enricher", a.Enricher().Enrich)
}
