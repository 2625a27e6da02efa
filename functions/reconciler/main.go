// Command reconciler is the state machine's first step: it reconciles an
// organisation's billing export against its bank registry and writes the
// results and the discrepancy report.
package main

import (
	"github.com/gispayments/gis-payments/internal/app"
	"github.com/gispayments/gis-payments/internal/ingest"
	"github.com/gispayments/gis-payments/internal/lambdaio"
	"github.com/gispayments/gis-payments/internal/recon"
)

func main() {
	a := app.MustOpen("reconcile", "EXPORTS_BUCKET")
	// The daily run registers uploads whose event was lost the way the
	// upload trigger does (it starts nothing; the run reconciles them).
	uploads := &ingest.Service{Store: a.Store, Objects: a.Objects, Limits: a.Config.Limits, Log: a.Log}
	svc := &recon.Service{Store: a.Store, Objects: a.Objects, Uploads: uploads, IncomingBucket: a.Config.ExportsBucket,
		ReportBucket: a.Config.ExportsBucket, Limits: a.Config.Limits, Log: a.Log}
	lambdaio.Main(svc.Reconcile)
}
