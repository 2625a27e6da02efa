package scheduler_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/scheduler"
)

type notices []string

func (n *notices) Notice(_ context.Context, org, subject, text string) error {
	*n = append(*n, org+": "+subject+": "+text)
	return nil
}

// Only active organisations get a run; the names are org-date of the day
// before the schedule's time in Moscow, the same however often the event
// comes, and each input names its period and execution.
func TestListsActiveOrganisationsWithDeterministicNames(t *testing.T) {
	st, _ := pgtest.New(t)
	ctx := context.Background()
	for _, code := range []string{"uk-dom", "fkr-region", "uk-closed"} {
		pgtest.Organization(t, st, code, "uk_rso")
	}
	if err := st.SetOrganizationControls(ctx, "uk-closed", postgres.ApprovalAuto, false, ""); err != nil {
		t.Fatal(err)
	}
	svc := &scheduler.Service{Store: st, Notices: &notices{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	// 06:00 Moscow on 1 December is 03:00 UTC: the run is for 30 November.
	req := contract.SchedulerRequest{ListOrgs: true, ScheduledTime: "2026-12-01T03:00:00Z"}
	first, err := svc.Handle(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := svc.Handle(ctx, req)
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Errorf("a repeated event named other runs:\n%s\n%s", a, b)
	}
	want := `{"day":"2026-11-30","runs":[` +
		`{"name":"fkr-region-2026-11-30","input":{"org":"fkr-region","period":{"from":"2026-11-30","to":"2026-11-30"},"execution_name":"fkr-region-2026-11-30"}},` +
		`{"name":"uk-dom-2026-11-30","input":{"org":"uk-dom","period":{"from":"2026-11-30","to":"2026-11-30"},"execution_name":"uk-dom-2026-11-30"}}]}`
	if string(a) != want {
		t.Errorf("got  %s\nwant %s", a, want)
	}
	long := strings.Repeat("x", 63)
	if name := scheduler.ExecutionName(long, 0); len(name) > 80 || strings.Contains(name, ":") {
		t.Errorf("name %q", name)
	}
}

func TestNoExportsNotice(t *testing.T) {
	st, _ := pgtest.New(t)
	n := &notices{}
	svc := &scheduler.Service{Store: st, Notices: n, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	_, err := svc.Handle(context.Background(), contract.SchedulerRequest{NoExports: true, Org: "uk-dom",
		Period: &contract.Period{From: "2026-11-30", To: "2026-11-30"}})
	if err != nil || len(*n) != 1 || !strings.Contains((*n)[0], "No exports from uk-dom for 2026-11-30") {
		t.Fatalf("%q, %v", *n, err)
	}
	if _, err := svc.Handle(context.Background(), contract.SchedulerRequest{}); err == nil {
		t.Error("an empty event was accepted")
	}
}
