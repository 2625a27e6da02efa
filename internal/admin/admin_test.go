package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/admin"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

func TestValidators(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string // "" valid
	}{
		{admin.ValidINN("7701234560"), ""},
		{admin.ValidINN("500123456750"), ""},
		{admin.ValidINN("500123456751"), `inn "500123456751": check digit 12 is 1, want 0`},
		{admin.ValidINN("500123456850"), `inn "500123456850": check digit 11 is 5, want`},
		{admin.ValidINN("77012345"), "want 10 digits"},
		{admin.ValidKPP("770101001"), ""},
		{admin.ValidKPP("7701AB001"), "want 9 digits"},
		{admin.ValidGUID("org_ppa_guid", "6f1b0c5e3a4d4c1e9a7b2d8e4f6a1b3c"), "want a GUID"},
		{admin.ValidBIK("044525225"), ""},
		{admin.ValidBIK("04452522"), "want 9 digits starting with 04"},
		// Sberbank's published requisites
		{admin.ValidAccounts("044525225", "40702810200000000001", "30101810400000000225"), ""},
		{admin.ValidAccounts("044525225", "", "30101810400000000226"), `correspondent_account "30101810400000000226": control key`},
		{admin.ValidAccounts("", "40702810200000000001", ""), "needs bank_bik"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("unexpected %v", c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
}

// starts records what rerun asked Step Functions to start.
type starts struct{ names, inputs []string }

func (s *starts) Start(_ context.Context, name string, input []byte) (bool, error) {
	s.names, s.inputs = append(s.names, name), append(s.inputs, string(input))
	return len(s.names) == 1, nil // the second start of a name starts nothing
}

func TestRerunStartsThePeriod(t *testing.T) {
	st, _ := pgtest.New(t)
	pgtest.Organization(t, st, "fund", "ufkr")
	rec := &starts{}
	svc := &admin.Service{Store: st, Starter: rec}
	req := admin.RerunRequest{Org: "fund", From: "2026-11-20", To: "2026-11-21", Name: "fund-rerun-2026-11-20-2026-11-21-x"}
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		res, err := svc.Rerun(ctx, "alice", req)
		if err != nil || res.Started != want || res.Execution != req.Name {
			t.Fatalf("start %d: %+v %v", i, res, err)
		}
	}
	if rec.inputs[0] != `{"org":"fund","period":{"from":"2026-11-20","to":"2026-11-21"},"execution_name":"fund-rerun-2026-11-20-2026-11-21-x"}` {
		t.Errorf("input %s", rec.inputs[0])
	}
	req.Name = ""
	if res, err := svc.Rerun(ctx, "alice", req); err != nil || !strings.HasPrefix(res.Execution, "fund-rerun-2026-11-20-2026-11-21-") || len(res.Execution) > 80 {
		t.Errorf("default name: %+v %v", res, err)
	}
}
