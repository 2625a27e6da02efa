package poller_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// The results file neutralizes text cells a spreadsheet would take for a
// formula: identifiers from the exports and error texts from GIS.
func TestResultsNeutralizeFormulas(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	runID, ids := e.Packed(t, "org1", 1, 1)
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE recon_row SET bill_number = '=HYPERLINK("http://x")', supplier_id = '+S1',
		service_id = '-SV1', account_number = '@A1' WHERE run_id = $1`, runID); err != nil {
		t.Fatal(err)
	}
	e.Sim.FailItems(func(*etree.Element) (string, string) { return "INT002000", "Лицевой счёт не найден" })
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil {
		t.Fatal(err)
	}
	if r := pollProcessed(t, e, runID); !r.Done {
		t.Fatalf("%+v", r)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID))), "\ufeff")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, recs)
	}
	got := recs[1]
	if got[1] != `'=HYPERLINK("http://x")` || got[2] != "'+S1" || got[3] != "'-SV1" || got[4] != "'@A1" ||
		got[6] != "rejected" || got[11] != "INT002000: Лицевой счёт не найден" {
		t.Errorf("row %q", got)
	}
}
