// Command reconciler is the state machine's first step: it reconciles an
// organisation's billing export against its bank registry and writes the
// results and the discrepancy report.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("reconciler", "EXPORTS_BUCKET")
	lambdaedge.Main("reconciler", a.Reconciler().Reconcile)
}
