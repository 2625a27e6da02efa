package reconciler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/steperr"
)

const (
	billingHeader   = "date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum\n"
	acquiringHeader = "date;order_id;order_date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum\n"
)

// A day whose total is past what numeric(15,2) holds (each amount fits) is
// refused as invalid input naming the day, and the run is failed, not left
// `created` behind an unlocated InternalError from Postgres.
func TestTotalBeyondStorageFailsRun(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	var b, a strings.Builder
	b.WriteString(billingHeader)
	a.WriteString(acquiringHeader)
	for i := range 6 {
		fmt.Fprintf(&b, "2026-11-21;B%d;S1;SV1;LS1;999999999999.99;999999999999.99\n", i)
		fmt.Fprintf(&a, "2026-11-21;O%d;2026-11-21;B%d;S1;SV1;LS1;1;0\n", i, i)
	}
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/big.csv", []byte(b.String())),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", []byte(a.String())),
	}}
	_, err := e.svc.Reconcile(ctx, req)
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), "2026-11-21") || !strings.Contains(err.Error(), "billing") {
		t.Fatalf("error = %v (%s), want invalid input naming the day and the side", err, steperr.KindOf(err))
	}
	var status, reason string
	var rows int
	e.st.Pool.QueryRow(ctx, `SELECT status, coalesce(error, ''), (SELECT count(*) FROM recon_row) FROM run`).Scan(&status, &reason, &rows)
	if status != "failed" || !strings.Contains(reason, "2026-11-21") || rows != 0 {
		t.Errorf("run %s %q with %d rows, want failed with the reason and no rows", status, reason, rows)
	}
}

// A single amount past what the database holds is an error located at its
// file, line and column.
func TestAmountBeyondStorageIsLocated(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", []byte(billingHeader+
			"2026-11-21;B1;S1;SV1;LS1;1;0\n2026-11-21;B2;S1;SV1;LS1;1;99999999999999.99\n")),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", []byte(acquiringHeader+
			"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0\n")),
	}}
	_, err := e.svc.Reconcile(ctx, req)
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), `incoming/billing/uk-dom/b.csv: line 3, column "fine_sum"`) {
		t.Fatalf("error = %v (%s)", err, steperr.KindOf(err))
	}
}
