package reconciler_test

import (
	"context"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

const bankHeader = "date,order_id,order_date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum,payment_document_id,operation_type\n"

// upload registers and reconciles a billing and a bank export for org.
func upload(t *testing.T, e *testkit.Env, org *postgres.Organization, name, billing, bank string) (*reconciler.Result, reconciler.Request) {
	t.Helper()
	refs := e.Upload(t, org.Code, name, billing, bank)
	req := reconciler.Request{Org: org.Code, Files: refs}
	res, err := e.Recon.Reconcile(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res, req
}

// load packs, sends and polls a run until GIS has answered.
func load(t *testing.T, e *testkit.Env, runID int64) {
	t.Helper()
	ctx := context.Background()
	packed, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: packed.PackageIDs}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(3 * time.Minute)
	if _, err := e.Poll.Poll(ctx, poller.Request{RunID: runID}); err != nil {
		t.Fatal(err)
	}
}

// A refund row of a bank registry that takes back a payment GIS holds
// (same bill, supplier, service and amount, loaded by an earlier run) is
// listed under the default policy, nothing registered; under "auto" it
// becomes a cancellation request saying which file and line, once, and
// only when it names one payment.
func TestRefundsOfLoadedPaymentsBecomeCancellations(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	org := pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	billing := "date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum\n" +
		"2026-11-20,B-1,P01,HVS,LS1,100.00,0.00\n2026-11-20,B-2,P01,HVS,LS2,200.00,0.00\n"
	loaded, _ := upload(t, e, org, "loaded", billing, bankHeader+
		"2026-11-20,00000000000000000000000000000001,2026-11-20,B-1,P01,HVS,LS1,100.00,0.00,12АБ345678-01-6101,оплата\n"+
		"2026-11-20,00000000000000000000000000000002,2026-11-20,B-2,P01,HVS,LS2,200.00,0.00,12АБ345678-02-6101,оплата\n")
	load(t, e, loaded.RunID)
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE status = 'imported'`); n != 2 {
		t.Fatalf("%d payments imported, want 2", n)
	}
	emptyBilling := "date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum\n"
	refunds := bankHeader +
		"2026-11-22,R1,2026-11-22,B-1,P01,HVS,LS1,100.00,0.00,,Возврат\n" + // takes back order 1
		"2026-11-22,R2,2026-11-22,B-2,P01,HVS,LS2,50.00,0.00,,Возврат\n" // another amount: no match

	listed, _ := upload(t, e, org, "refunds", emptyBilling, refunds)
	if listed.Refunds != 2 || listed.RefundMatches != 1 || listed.RefundCancellations != 0 {
		t.Errorf("default policy: %d refunds, %d matches, %d cancellations; want 2, 1, 0", listed.Refunds,
			listed.RefundMatches, listed.RefundCancellations)
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM cancellation`); n != 0 {
		t.Errorf("%d cancellations registered under the default policy", n)
	}
	detail, err := e.Store.RunDetailByID(ctx, listed.RunID)
	if err != nil || len(detail.Refunds) != 1 || detail.Refunds[0].OrderIDs[0] != "00000000000000000000000000000001" {
		t.Fatalf("run detail refunds %+v, %v", detail.Refunds, err)
	}

	org.RefundCancellation = postgres.RefundAuto
	if _, err := e.Store.UpsertOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	auto, req := upload(t, e, org, "refunds-again", emptyBilling, refunds)
	if auto.RefundMatches != 1 || auto.RefundCancellations != 1 {
		t.Errorf("auto policy: %d matches, %d cancellations; want 1 and 1", auto.RefundMatches, auto.RefundCancellations)
	}
	var comment, date string
	var status contract.PaymentStatus
	if err := e.Store.Pool.QueryRow(ctx, `SELECT c.comment, p.status, c.cancellation_date::text FROM cancellation c
		JOIN payment p ON p.id = c.payment_id WHERE c.source = 'refund' AND c.status = 'requested'`).Scan(&comment, &status, &date); err != nil {
		t.Fatal(err)
	}
	if comment != "refund in refunds-again.csv line 2" || status != contract.PaymentCancelRequested || date != "2026-11-22" {
		t.Errorf("cancellation %q of %s, payment %s", comment, date, status)
	}
	// Reconciled again (a retried step), the same refund registers nothing new.
	again, err := e.Recon.Reconcile(ctx, req)
	if err != nil || !again.AlreadyDone || again.RefundCancellations != 0 {
		t.Errorf("again: %+v, %v", again, err)
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM cancellation`); n != 1 {
		t.Errorf("%d cancellations, want 1", n)
	}
}
