// Command reconciler is the state machine's first step: it reconciles an
// organisation's billing export against its bank registry and writes the
// results and the discrepancy report.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("reconciler", "EXPORTS_BUCKET")
	// The daily run registers uploads whose event was lost the way the
	// upload trigger does (it starts nothing; the run reconciles them).
	uploads := &uploadtrigger.Service{Store: a.Store, Objects: a.Objects, Limits: a.Config.Limits, Log: a.Log}
	svc := &reconciler.Service{Store: a.Store, Objects: a.Objects, Uploads: uploads, IncomingBucket: a.Config.ExportsBucket,
		ReportBucket: a.Config.ExportsBucket, Limits: a.Config.Limits, Log: a.Log}
	lambdaedge.Main("reconciler", svc.Reconcile)
}
