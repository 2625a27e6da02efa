package reconciler_test

import (
	"context"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

// An upload whose S3 event never reached the trigger (parked on the
// failure queue, or dropped) is still found by the daily run: it lists the
// organisation's incoming/ folders and registers what no event did, through
// the trigger's own header check, before resolving the day's files.
func TestDailyRunFindsUploadsWithoutEvents(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.svc.Uploads = &uploadtrigger.Service{Store: e.st, Objects: e.s3.Store, Log: e.svc.Log}
	e.svc.IncomingBucket = bucket
	e.svc.Now = func() time.Time { return time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC) }
	// The billing export came with its event; the registry's event was lost.
	e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"))
	e.s3.Put(t, bucket, "incoming/acquiring/uk-dom/реестр 21.11.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"))
	// So was the event of a file with a bad header: registered failed, left out.
	e.s3.Put(t, bucket, "incoming/acquiring/uk-dom/short.csv", []byte("date;order_id\n"))

	daily := reconciler.Request{Org: "uk-dom", Period: &reconciler.Period{PreviousDay: true}}
	res, err := e.svc.Reconcile(ctx, daily)
	if err != nil {
		t.Fatal(err)
	}
	if res.Days != 1 || res.Matched != 4 || res.AcquiringRows != 6 {
		t.Fatalf("daily run %+v, want the 21st reconciled against the registry no event registered", res)
	}
	short, err := e.st.FileByKey(ctx, e.org.ID, bucket, "incoming/acquiring/uk-dom/short.csv", "")
	if err != nil || short.Status != "failed" || len(short.Errors) == 0 {
		t.Fatalf("the bad header: %+v %v, want registered failed", short, err)
	}
	// Asked again, it registers nothing twice and finds the same run.
	again, err := e.svc.Reconcile(ctx, daily)
	if err != nil || again.RunID != res.RunID || !again.AlreadyDone {
		t.Fatalf("again: %+v %v", again, err)
	}
	var files int
	e.st.Pool.QueryRow(ctx, `SELECT count(*) FROM source_file`).Scan(&files)
	if files != 3 {
		t.Errorf("%d files registered, want 3", files)
	}
}
