// Command poller asks GIS ZhKKh for the state of sent packages and applies
// the results: for one run inside the state machine, or for every
// straggler on its five-minute schedule, which also posts the signed
// packages runs left unsent. It announces every settled run ("Run
// settled" on EventBridge) and counts payments left unloaded.
package main

import (
	"os"

	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("poller", "ARCHIVE_BUCKET", "EXPORTS_BUCKET", "GIS_ENDPOINT")
	gis, client := a.MustGIS()
	maxAge, err := poller.PaymentMaxAge(os.Getenv("PAYMENT_MAX_AGE_HOURS"))
	if err != nil {
		wiring.Fail(a.Log, "config", err)
	}
	svc := &poller.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		ResultsBucket: a.Config.ExportsBucket, GIS: client, Sender: a.Sender(gis, client),
		RunTimeout: gis.RunTimeout, Grace: gis.PollGrace, ReconRetention: gis.ReconRetention,
		CallTimeout: gis.Client.Timeout, DoubtLimit: gis.DoubtLimit, Concurrency: gis.Concurrency, Log: a.Log,
		Metrics: wiring.MetricsWriter(), Notifier: a.Notifier(), MaxPaymentAge: maxAge,
		Reports: &reconciler.Service{Store: a.Store, Objects: a.Objects, ReportBucket: a.Config.ExportsBucket, Log: a.Log}}
	if l := a.GISLimiter(gis); l != nil {
		svc.Limiter = l
	}
	lambdaedge.Main("poller", svc.Poll)
}
