package packer_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	var cpu, pgCPU time.Duration
	var seed uint64
	for b.Loop() {
		b.StopTimer()
		seed++ // new order ids each time: the same exports would be the same run, packed already
		runID := e.Reconciled(b, "org1", 300_000, seed)
		b.StartTimer()
		before, pgBefore := processCPU(), postgresCPU(b, e.Store.Pool)
		res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
		cpu += processCPU() - before
		pgCPU += postgresCPU(b, e.Store.Pool) - pgBefore
		if err != nil {
			b.Fatal(err)
		}
		if res.Payments != 300_000 || res.Packages != 1200 || res.Resumed {
			b.Fatalf("%+v", res)
		}
	}
	// The packer's own CPU (Postgres's is not in it): on a shared machine
	// the wall time says as much about the neighbours.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(pgCPU.Seconds()/float64(b.N), "pg-cpu-s/op")
}

// postgresCPU sums the CPU time of the Postgres backends behind pool's
// connections, read from /proc: the database's share of packing.
// Connections the pool opens during a run count from their start; a
// server on another host counts 0.
func postgresCPU(b *testing.B, pool *pgxpool.Pool) time.Duration {
	ctx := context.Background()
	var total time.Duration
	for _, c := range pool.AcquireAllIdle(ctx) {
		var pid int
		err := c.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid)
		c.Release()
		if err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// utime and stime, in clock ticks of 10 ms, follow the command
		// name in parentheses as the 12th and 13th fields.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		for _, s := range f[11:13] {
			ticks, _ := strconv.Atoi(s)
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPackDistantS3 packs 25 000 payments (100 packages) with every
// S3 request taking 30 ms more, as from a Lambda to S3: archiving waits on
// the network, not CPU, so how many uploads are in flight decides its
// time. archivers=4 is what two CPUs' builders gave before Archivers.
func BenchmarkPackDistantS3(b *testing.B) {
	for _, archivers := range []int{4, packer.DefaultArchivers} {
		b.Run(fmt.Sprintf("archivers=%d", archivers), func(b *testing.B) {
			e := testkit.New(b, 0)
			pgtest.Organization(b, e.Store, "org1", "uk_rso")
			e.Pack.Objects = e.S3.Distant(b, 30*time.Millisecond)
			e.Pack.Archivers = archivers
			e.Pack.Clock = nil
			var seed uint64
			for b.Loop() {
				b.StopTimer()
				seed++
				runID := e.Reconciled(b, "org1", 25_000, seed)
				b.StartTimer()
				res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
				if err != nil {
					b.Fatal(err)
				}
				if res.Payments != 25_000 || res.Packages != 100 || res.Resumed {
					b.Fatalf("%+v", res)
				}
			}
		})
	}
}
