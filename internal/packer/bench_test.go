package packer_test

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// BenchmarkPack300k packs and signs 300 000 reconciled supplier payments
// (1 200 packages of 250): GUIDs and payments stored, every request built,
// signed and archived. Run with -cpu 1 for the one-core figure.
func BenchmarkPack300k(b *testing.B) {
	e := testkit.New(b, 0)
	pgtest.Organization(b, e.Store, "org1", "uk_rso")
	e.Pack.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil)) // prepare_ms and duration_ms per run
	e.Pack.Clock = nil                                         // the system clock: those are real times
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		runID := e.Reconciled(b, "org1", 300_000, uint64(b.N))
		b.StartTimer()
		before := processCPU()
		res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
		cpu += processCPU() - before
		if err != nil {
			b.Fatal(err)
		}
		if res.Payments != 300_000 || res.Packages != 1200 {
			b.Fatalf("%+v", res)
		}
	}
	// The packer's own CPU (Postgres's is not in it): on a shared machine
	// the wall time says as much about the neighbours.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
