package poller_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// BenchmarkRun1M is a local run of 1 000 000 payments against the
// simulator, every stage on real parts: reconcile (exports in S3, COPY into
// Postgres), pack and sign 4 000 supplier packages, send them batch by
// batch as the Map's items would (contract.SendBatches, 8 items at once),
// poll until the run settles. It reports each stage's wall time and the
// process's peak RSS. Opt-in: `make bench-1m` (minutes, not in make test).
func BenchmarkRun1M(b *testing.B) {
	const payments = 1_000_000
	ctx := context.Background()
	for b.Loop() {
		e := testkit.New(b, 30*time.Second)
		pgtest.Organization(b, e.Store, "org1", "uk_rso")
		stage := time.Now()
		lap := func(name string) {
			b.ReportMetric(time.Since(stage).Seconds(), name+"-s")
			stage = time.Now()
		}
		runID := e.Reconciled(b, "org1", payments, 1)
		lap("reconcile")
		packed, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
		if err != nil || packed.Payments != payments {
			b.Fatalf("%+v %v", packed, err)
		}
		lap("pack")
		sendBatches(b, e, packed.SendBatches, 8)
		lap("send")
		pollUntilDone(b, e, runID)
		lap("poll")
		if e.Sim.Imported() != payments {
			b.Fatalf("GIS imported %d payments", e.Sim.Imported())
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
}

// sendBatches posts the packer's batches, at most items at once, each as
// one sender invocation (one Map item) would.
func sendBatches(b *testing.B, e *testkit.Env, batches [][]int64, items int) {
	sem := make(chan struct{}, items)
	errs := make(chan error, len(batches))
	for _, ids := range batches {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := e.Send.Send(context.Background(), sender.Request{PackageIDs: ids})
			errs <- err
		}()
	}
	for range batches {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}
