package reconciler_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// Once a run that waited for approval has ended, its HTML report shows
// the decision, as the results file does: who, when, and the rows
// withheld (or added); before the decision it shows none.
func TestReportShowsTheApprovalDecision(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	org := pgtest.Organization(t, e.Store, "uk-dom", "uk_rso")
	if err := e.Store.SetOrganizationControls(ctx, "uk-dom", "always", true, ""); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile("../../testdata/exports/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	res, _ := upload(t, e, org, "day", read("billing-uk-dom-2026-11-21.csv"), read("acquiring-uk-dom-2026-11-21.csv"))
	htmlKey := strings.TrimPrefix(res.ReportHTML, "s3://"+testkit.Exports+"/")
	if page := string(e.S3.Get(t, testkit.Exports, htmlKey)); strings.Contains(page, "Решение по загрузке") {
		t.Fatal("the report shows a decision before there is one")
	}
	var withheld, bill string
	if err := e.Store.Pool.QueryRow(ctx, `SELECT order_id, bill_number FROM recon_row WHERE run_id = $1 AND status = 'check'
		ORDER BY id LIMIT 1`, res.RunID).Scan(&withheld, &bill); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.AwaitApproval(ctx, res.RunID, "token-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.RecordDecision(ctx, res.RunID, postgres.Decision{Approve: true, By: "admin:alice", Source: "admin",
		Withhold: []string{withheld}}); err != nil {
		t.Fatal(err)
	}
	load(t, e, res.RunID)
	page := string(e.S3.Get(t, testkit.Exports, htmlKey))
	for _, want := range []string{"Решение по загрузке", "Одобрено: admin:alice", "(admin)", "Не загружать (1):",
		"bill " + bill + ", order " + withheld} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(page, "Загрузить дополнительно") {
		t.Error("the report lists extra rows the decision did not add")
	}
}
