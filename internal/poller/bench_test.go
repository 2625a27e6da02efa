package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// BenchmarkLoad300k sends 300 000 payments (1 200 packages of 250) to the
// simulator, which checks every request against the XSD and its
// signature, and polls them to completion. Sends go 8 at a time
// (sender.Service.Concurrency), as one invocation of the sender would with a
// batch; polls claim 200 packages and ask 8 at a time.
func BenchmarkLoad300k(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		e := testkit.New(b, 30*time.Second)
		pgtest.Organization(b, e.Store, "org1", "uk_rso")
		runID := e.Reconciled(b, "org1", 300_000, 1)
		packed, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
		if err != nil {
			b.Fatal(err)
		}
		e.Send.Concurrency = 8
		b.StartTimer()
		if res, err := e.Send.Send(ctx, sender.Request{PackageIDs: packed.PackageIDs}); err != nil || res.Sent != 1200 {
			b.Fatalf("%+v %v", res, err)
		}
		sent := time.Now()
		pollUntilDone(b, e, runID)
		b.ReportMetric(time.Since(sent).Seconds(), "poll-s")
		if e.Sim.Accepted() != 1200 || e.Sim.Imported() != 300_000 {
			b.Fatalf("GIS accepted %d packages, imported %d payments", e.Sim.Accepted(), e.Sim.Imported())
		}
	}
}

// pollUntilDone lets the simulator finish every message and polls the run
// until it settles, finished.
func pollUntilDone(b *testing.B, e *testkit.Env, runID int64) {
	e.Clock.Add(3 * time.Minute) // GIS has processed everything
	for {
		res, err := e.Poll.Poll(context.Background(), poller.Request{RunID: runID})
		if err != nil {
			b.Fatal(err)
		}
		if res.Done {
			if res.Status != contract.RunFinished {
				b.Fatalf("%+v", res)
			}
			return
		}
		if res.Polled == 0 {
			b.Fatalf("nothing left to poll but the run is not done: %+v", res)
		}
	}
}
