package enricher_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/enricher"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/testkit"
)

const action = "urn:exportPaymentDocumentDetails"

var (
	found    = gismessage.DocumentQuery{UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10}
	document = gismessage.PaymentDocument{PaymentDocumentID: "12АБ345678-01-6101", AccountNumber: "10010001",
		UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10}
)

// row is one payment on both sides: bill, account, ЕЛС and period of the
// bank row (no payment document id, no ЖКУ id, as bank registries come).
type row struct{ bill, account, els, period string }

// reconciled uploads and reconciles a supplier's billing and bank exports
// of rows; it returns the run.
func reconciled(t *testing.T, e *testkit.Env, org string, seed int, rows ...row) int64 {
	t.Helper()
	var b, a strings.Builder
	b.WriteString("date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum\n")
	a.WriteString("date,order_id,order_date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum,unified_account_number,period\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "2026-11-21,%s,P01,HVS,%s,100.00,0.00\n", r.bill, r.account)
		fmt.Fprintf(&a, "2026-11-21,%032x,2026-11-21,%s,P01,HVS,%s,100.00,0.00,%s,%s\n", seed*100+i+1, r.bill, r.account, r.els, r.period)
	}
	refs := e.Upload(t, org, fmt.Sprint(seed), b.String(), a.String())
	res, err := e.Recon.Reconcile(context.Background(), reconciler.Request{Org: org, Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	return res.RunID
}

func setup(t *testing.T) (*testkit.Env, *enricher.Service) {
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	e.Sim.HoldDocuments(found, document)
	return e, &enricher.Service{Store: e.Store, GIS: e.GIS, SignerFor: e.Pack.SignerFor, Log: e.Log, Clock: e.Clock.Now}
}

// enrich calls the step until it is no longer pending, moving GIS's
// clock on between the calls as the state machine's wait does.
func enrich(t *testing.T, e *testkit.Env, svc *enricher.Service, runID int64) *enricher.Result {
	t.Helper()
	for range 5 {
		res, err := svc.Enrich(context.Background(), enricher.Request{RunID: runID})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pending {
			return res
		}
		e.Clock.Add(3 * time.Minute)
	}
	t.Fatal("still pending after 5 calls")
	return nil
}

func holdReasons(t *testing.T, e *testkit.Env, runID int64) map[string]string {
	t.Helper()
	rows, err := e.Store.Pool.Query(context.Background(), `SELECT bill_number, coalesce(hold_reason, '') FROM recon_row WHERE run_id = $1`, runID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var bill, reason string
		if err := rows.Scan(&bill, &reason); err != nil {
			t.Fatal(err)
		}
		out[bill] = reason
	}
	return out
}

// A row GIS finds a document for is released and loaded in the same run;
// a row GIS finds nothing for, and a row without a ЕЛС to ask by, stay
// held with their reasons; the packer keeps those reasons.
func TestLookupReleasesFoundRowsAndHoldsTheRest(t *testing.T) {
	e, svc := setup(t)
	runID := reconciled(t, e, "uk1", 1,
		row{"B-1", "10010001", found.UnifiedAccountNumber, "10.2026"},
		row{"B-2", "10010002", "0000000001", "10.2026"},
		row{"B-3", "10010003", "", "10.2026"})
	res := enrich(t, e, svc, runID)
	if res.Rows != 3 || res.Resolved != 1 || res.Held != 2 || res.CacheHits != 0 {
		t.Errorf("result %+v, want 3 rows: 1 resolved, 2 held", res)
	}
	if n := e.Sim.Calls(action); n != 2 {
		t.Errorf("%d lookups sent, want 2 (one per ЕЛС and period)", n)
	}
	packed, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if packed.Payments != 1 || packed.HeldBack != 2 {
		t.Errorf("packed %d payments, %d held; want 1 and 2", packed.Payments, packed.HeldBack)
	}
	var pd string
	if err := e.Store.Pool.QueryRow(context.Background(), `SELECT r.payment_document_id FROM payment p
		JOIN recon_row r ON r.id = p.recon_row_id WHERE p.run_id = $1`, runID).Scan(&pd); err != nil || pd != document.PaymentDocumentID {
		t.Errorf("loaded payment's document %q (%v), want %s", pd, err, document.PaymentDocumentID)
	}
	reasons := holdReasons(t, e, runID)
	for bill, want := range map[string]string{"B-1": "", "B-2": "not found in GIS for ЕЛС 0000000001 10.2026 (INT002012)",
		"B-3": "not enough to ask GIS for the payment document: the bank row has no unified_account_number"} {
		if got := reasons[bill]; (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s held for %q, want %q", bill, got, want)
		}
	}
	// Called again (a retry), the step asks nothing and changes nothing.
	again, err := svc.Enrich(context.Background(), enricher.Request{RunID: runID})
	if err != nil || again.Rows != 0 || e.Sim.Calls(action) != 2 {
		t.Errorf("again: %+v, %v, %d calls", again, err, e.Sim.Calls(action))
	}
}

// A later run of the same ЕЛС and period takes the cached answer: no call
// to GIS; a "nothing found" is asked again once it is older than its TTL.
func TestCachedAnswersAskNothing(t *testing.T) {
	e, svc := setup(t)
	first := reconciled(t, e, "uk1", 1, row{"B-1", "10010001", found.UnifiedAccountNumber, "10.2026"},
		row{"B-2", "10010002", "0000000001", "10.2026"})
	enrich(t, e, svc, first)
	calls := e.Sim.Calls(action)
	second := reconciled(t, e, "uk1", 2, row{"B-4", "10010001", found.UnifiedAccountNumber, "10.2026"},
		row{"B-5", "10010002", "0000000001", "10.2026"})
	res := enrich(t, e, svc, second)
	if res.CacheHits != 2 || res.Asked != 0 || res.Resolved != 1 || res.Held != 1 || e.Sim.Calls(action) != calls {
		t.Errorf("second run %+v, %d calls; want 2 cache hits and no call", res, e.Sim.Calls(action)-calls)
	}
	svc.NotFoundTTL = time.Nanosecond
	third := reconciled(t, e, "uk1", 3, row{"B-6", "10010002", "0000000001", "10.2026"})
	if res := enrich(t, e, svc, third); res.CacheHits != 0 || res.Asked != 1 || e.Sim.Calls(action) != calls+1 {
		t.Errorf("third run %+v, want the stale 'nothing found' asked again", res)
	}
}

// A send whose reply is lost (GIS took it) is sent again with the same
// MessageGUID: GIS holds one query and the run gets its answer.
func TestLostAckIsAskedAgainWithTheSameMessage(t *testing.T) {
	e, svc := setup(t)
	e.Sim.Inject(action, gissim.AcceptAndDrop)
	runID := reconciled(t, e, "uk1", 1, row{"B-1", "10010001", found.UnifiedAccountNumber, "10.2026"})
	res := enrich(t, e, svc, runID)
	if res.Resolved != 1 || e.Sim.Calls(action) != 2 || e.Sim.Accepted() != 1 {
		t.Errorf("result %+v after %d sends and %d accepted, want resolved after 2 sends of one message", res,
			e.Sim.Calls(action), e.Sim.Accepted())
	}
}

// An answer that cannot be read holds the row this run, saying so; and a
// query GIS never answers expires into a hold, not an endless wait.
func TestDoubtfulAndUnansweredLookupsHold(t *testing.T) {
	e, svc := setup(t)
	e.Sim.TamperStates(func(res *etree.Element) {
		if pd := res.FindElement(".//PaymentDocumentID"); pd != nil {
			pd.SetText("short")
		}
	})
	runID := reconciled(t, e, "uk1", 1, row{"B-1", "10010001", found.UnifiedAccountNumber, "10.2026"})
	res := enrich(t, e, svc, runID)
	if res.Held != 1 || res.Resolved != 0 {
		t.Errorf("result %+v, want the row held", res)
	}
	if got := holdReasons(t, e, runID)["B-1"]; !strings.Contains(got, "could not be read; held this run") {
		t.Errorf("held for %q", got)
	}

	e.Sim.TamperStates(nil)
	e.Sim.StickNew(true)
	stuck := reconciled(t, e, "uk1", 2, row{"B-2", "10010001", found.UnifiedAccountNumber, "11.2026"})
	if res, err := svc.Enrich(context.Background(), enricher.Request{RunID: stuck}); err != nil || !res.Pending {
		t.Fatalf("first call %+v, %v: want pending", res, err)
	}
	e.Clock.Add(enricher.DefaultDeadline + time.Minute)
	res, err := svc.Enrich(context.Background(), enricher.Request{RunID: stuck})
	if err != nil || res.Pending || res.Held != 1 {
		t.Fatalf("after the deadline %+v, %v: want the row held", res, err)
	}
	if got := holdReasons(t, e, stuck)["B-2"]; !strings.Contains(got, "did not answer the payment document lookup") {
		t.Errorf("held for %q", got)
	}
}
