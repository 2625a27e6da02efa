package uploadtrigger_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

const (
	billing22   = exportcsv.BillingHeader + "2026-11-22;B9;S1;SV1;LS1;10;0\n"
	acquiring22 = exportcsv.AcquiringHeader + "2026-11-22;O9;2026-11-22;B9;S1;SV1;LS1;10;0\n"
)

// Billing for day D uploaded twice under two names, then the registry of
// D+1: before, the stale billing of D (still registered) was paired with
// D+1's registry. An upload pairs only with a file of the other kind for
// the same day(s), and the newer billing of D supersedes the older one.
func TestUploadsPairOnlyByDay(t *testing.T) {
	ctx := context.Background()
	svc, s3, rec := setup(t)
	old := upload(t, svc, s3, "incoming/billing/uk1/b-21.csv", billing, "01")
	newer := upload(t, svc, s3, "incoming/billing/uk1/b-21-fixed.csv", billing, "01")
	next := upload(t, svc, s3, "incoming/acquiring/uk1/a-22.csv", acquiring22, "01")
	if next.Execution != nil || len(rec.starts) != 0 || !strings.Contains(next.Waiting, "2026-11-22") {
		t.Fatalf("the registry of the 22nd was paired: %+v (started %v)", next, rec.starts)
	}
	same := upload(t, svc, s3, "incoming/acquiring/uk1/a-21.csv", acquiring, "01")
	if same.Execution == nil || len(same.Execution.Input.Files) != 2 || same.Execution.Input.Files[0].Key != newer.Key {
		t.Fatalf("the registry of the 21st: %+v, want a run with the newer billing of the 21st", same.Execution)
	}
	var status contract.FileStatus
	svc.Store.Pool.QueryRow(ctx, `SELECT status FROM source_file WHERE id = $1`, old.FileID).Scan(&status)
	if status != contract.FileSuperseded {
		t.Errorf("the older billing of the 21st is %s, want superseded", status)
	}
	// The 22nd pairs when its billing comes.
	b22 := upload(t, svc, s3, "incoming/billing/uk1/b-22.csv", billing22, "01")
	if b22.Execution == nil || b22.Execution.Input.Files[1].Key != next.Key || b22.Kind != exportcsv.Billing {
		t.Fatalf("the billing of the 22nd: %+v", b22.Execution)
	}
	if len(rec.starts) != 2 {
		t.Errorf("%d runs started, want 2", len(rec.starts))
	}
}

// An export whose head has no dated row cannot be paired by day: it is
// registered and left to the daily run, and nothing is started.
func TestUndatedUploadWaitsForTheDailyRun(t *testing.T) {
	svc, s3, rec := setup(t)
	upload(t, svc, s3, "incoming/acquiring/uk1/a-21.csv", acquiring, "01")
	res := upload(t, svc, s3, "incoming/billing/uk1/empty.csv", exportcsv.BillingHeader, "01")
	if res.Status != "registered" || res.Execution != nil || len(rec.starts) != 0 || !strings.Contains(res.Waiting, "daily run of uk1") {
		t.Fatalf("%+v (started %v)", res, rec.starts)
	}
}
