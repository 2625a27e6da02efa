package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// sentRun reconciles perPackage*packages matched rows into a run of org,
// packs them into packages of perPackage payments, signs and sends them
// all, and leases them to owner, as the poller finds them.
func sentRun(t *testing.T, s *postgres.Store, org *postgres.Organization, key string, packages, perPackage int, owner string) (int64, []postgres.Claimed) {
	t.Helper()
	ctx := context.Background()
	bid, aid := registerPair(t, s, org.ID)
	run, err := s.BeginRun(ctx, postgres.RunSpec{OrganizationID: org.ID, RunKey: key})
	if err != nil {
		t.Fatal(err)
	}
	var bill, acq strings.Builder
	for i := range packages * perPackage {
		fmt.Fprintf(&bill, "2026-11-21;%s-B%d;S1;SV1;LS%d;100;0\n", key, i, i)
		fmt.Fprintf(&acq, "2026-11-21;%s-O%d;2026-11-21;%s-B%d;S1;SV1;LS%d;100;0\n", key, i, key, i, i)
	}
	if _, err := s.SaveReconciliation(ctx, run.ID, postgres.Reconciliation{BillingFiles: []int64{bid}, AcquiringFiles: []int64{aid},
		Produce: produce(bill.String(), acq.String())}); err != nil {
		t.Fatal(err)
	}
	packing, err := s.PreparePackages(ctx, run.ID, func(_ *postgres.Organization, cs []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
		var out []postgres.PlannedPackage
		for start := 0; start < len(cs); start += perPackage {
			p := postgres.PlannedPackage{MessageGUID: uuid.NewString(), Operation: "importSupplierNotificationsOfOrderExecution"}
			for i := start; i < start+perPackage; i++ {
				p.Payments = append(p.Payments, postgres.PlannedPayment{Candidate: &cs[i], TransportGUID: uuid.NewString()})
			}
			out = append(out, p)
		}
		return out, nil, nil
	}, nil)
	if err != nil || len(packing.PackageIDs) != packages {
		t.Fatalf("packing = %+v, %v", packing, err)
	}
	for _, id := range packing.PackageIDs {
		if err := s.MarkPackagesSigned(ctx, []int64{id}, []string{fmt.Sprintf("requests/%d.xml", id)}); err != nil {
			t.Fatal(err)
		}
		if sent, err := s.MarkSent(ctx, id, uuid.NewString()); err != nil || !sent {
			t.Fatalf("mark %d sent: %v %v", id, sent, err)
		}
	}
	now, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimPackages(ctx, owner, run.ID, time.Time{}, time.Minute, packages, now.Add(time.Hour))
	if err != nil || len(claimed) != packages {
		t.Fatalf("claimed %d of %d packages: %v", len(claimed), packages, err)
	}
	return run.ID, claimed
}

// importedAll is GIS's answer that every payment of a package is imported.
func importedAll(t *testing.T, s *postgres.Store, packageID int64) []postgres.Outcome {
	t.Helper()
	guids, err := s.TransportGUIDs(context.Background(), packageID)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var out []postgres.Outcome
	for tg := range guids {
		out = append(out, postgres.Outcome{TransportGUID: tg, Status: contract.PaymentImported, GUID: uuid.NewString(),
			UniqueNumber: "U" + tg[:8], ImportedAt: &at})
	}
	return out
}

// The poller applies the results of a run's packages concurrently, each
// kind of answer in its own transaction: every one commits (none is lost to
// a deadlock and left to the next poll), and the last settles the run.
func TestConcurrentResultsOfOneRun(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	const owner = "poller-1"
	answers := []func(c postgres.Claimed, o []postgres.Outcome) error{
		func(c postgres.Claimed, o []postgres.Outcome) error {
			return s.ApplyResults(ctx, c.ID, owner, "responses/all", o)
		},
		func(c postgres.Claimed, o []postgres.Outcome) error { // one payment unmentioned: unknown
			return s.ApplyResults(ctx, c.ID, owner, "responses/some", o[1:])
		},
		func(c postgres.Claimed, _ []postgres.Outcome) error {
			return s.FailClaimed(ctx, c.ID, owner, "responses/refused", contract.PaymentError, "EXP001000", "refused")
		},
		func(c postgres.Claimed, _ []postgres.Outcome) error {
			_, err := s.RecordDoubt(ctx, c.ID, owner, "responses/doubt", "unreadable", 1)
			return err
		},
	}
	for iter := range 12 {
		// An organisation per run: the refused payments would be retried by the next run of the same one.
		org := pgtest.Organization(t, s, fmt.Sprintf("uk%d", iter), "uk_rso")
		runID, claimed := sentRun(t, s, org, fmt.Sprintf("r%d", iter), len(answers), 3, owner)
		outcomes := make([][]postgres.Outcome, len(claimed))
		for i, c := range claimed {
			outcomes[i] = importedAll(t, s, c.ID)
		}
		errs := make([]error, len(claimed))
		var wg sync.WaitGroup
		for i, c := range claimed {
			answer := answers[(i+iter)%len(answers)]
			wg.Go(func() { errs[i] = answer(c, outcomes[i]) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("run %d: answer to package %d: %v", runID, claimed[i].ID, err)
			}
		}
		run, err := s.RunByID(ctx, runID)
		if err != nil || run.Status != contract.RunFinishedWithErrors {
			t.Fatalf("run %d = %+v, %v; want finished_with_errors", runID, run, err)
		}
	}
}
