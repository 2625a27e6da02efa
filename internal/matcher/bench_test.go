package matcher

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/exportgen"
)

// BenchmarkReconcile300k parses and matches a 300 000-row billing export
// against a 300 000-row bank registry (Windows-1251) read from disk, and
// reports rows/s and the process's peak RSS.
func BenchmarkReconcile300k(b *testing.B) {
	dir := b.TempDir()
	bp, ap := filepath.Join(dir, "billing.csv"), filepath.Join(dir, "acquiring.csv")
	bf, _ := os.Create(bp)
	af, _ := os.Create(ap)
	spec := exportgen.Spec{Rows: 300_000, Days: 7, Last: calendar.FromYMD(2026, 11, 21), Seed: 1,
		Mismatch: 0.01, OneSided: 0.01, Windows1251: true}
	if _, err := exportgen.Write(spec, bf, af); err != nil {
		b.Fatal(err)
	}
	bf.Close()
	af.Close()
	runtime.GC()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		bf, _ := os.Open(bp)
		af, _ := os.Open(ap)
		br, err := exportcsv.NewReader("billing.csv", exportcsv.Billing, bf, exportcsv.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		ar, err := exportcsv.NewReader("acquiring.csv", exportcsv.Acquiring, af, exportcsv.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := Run([]Input{{"billing.csv", br, size(bp)}}, []Input{{"acquiring.csv", ar, size(ap)}}, Discard)
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Total.BillingCount + sum.Total.AcquiringCount
		bf.Close()
		af.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// peakRSSMiB reads VmHWM, the process's high-water resident set.
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(data) {
		if v, ok := strings.CutPrefix(string(line), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
