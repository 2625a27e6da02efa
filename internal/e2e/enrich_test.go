package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// A supplier's bank registry without payment document ids goes through
// "Look up payment documents": the row GIS finds a document for is loaded
// in the same execution, the row it finds nothing for stays held with the
// reason; the step is called again while its query is out with GIS. An
// enricher that dies after asking GIS (Sandbox.Timedout, its result lost)
// is retried and asks nothing again.
func TestDocumentLookupThroughTheStateMachine(t *testing.T) {
	for _, timeouts := range []int{0, 1} {
		t.Run(fmt.Sprintf("enricher_timeouts=%d", timeouts), func(t *testing.T) {
			e := setup(t)
			e.lambdas.InjectTimeouts("enricher", timeouts)
			q := gismessage.DocumentQuery{UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10}
			e.sim.HoldDocuments(q, gismessage.PaymentDocument{PaymentDocumentID: "12АБ345678-01-6101", AccountNumber: "10010001",
				UnifiedAccountNumber: q.UnifiedAccountNumber})
			billing := "date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum\n" +
				"2026-11-21,B-1,P01,HVS,10010001,100.00,0.00\n2026-11-21,B-2,P01,HVS,10010002,200.00,0.00\n"
			acquiring := "date,order_id,order_date,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum,unified_account_number,period\n" +
				"2026-11-21,00000000000000000000000000000001,2026-11-21,B-1,P01,HVS,10010001,100.00,0.00,12АБ345678,10.2026\n" +
				"2026-11-21,00000000000000000000000000000002,2026-11-21,B-2,P01,HVS,10010002,200.00,0.00,0000000001,10.2026\n"
			e.upload(t, "incoming/billing/uk-dom/b.csv", []byte(billing), "01")
			res := e.upload(t, "incoming/acquiring/uk-dom/a.csv", []byte(acquiring), "02")
			if res.Execution == nil {
				t.Fatalf("no execution asked for: %+v", res)
			}
			out, err := e.runner.Run(context.Background(), e.definition, res.Execution.Input)
			if err != nil {
				t.Fatal(err)
			}
			var result struct {
				Enrich struct {
					Pending              bool
					Rows, Resolved, Held int
					Asked                int
				} `json:"enrich"`
				Pack struct {
					Payments int
					HeldBack int `json:"held_back"`
				} `json:"pack"`
				Poll struct{ Status contract.RunStatus } `json:"poll"`
			}
			if err := json.Unmarshal(out, &result); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if r := result.Enrich; r.Pending || r.Rows != 2 || r.Resolved != 1 || r.Held != 1 || r.Asked != 2 ||
				result.Pack.Payments != 1 || result.Pack.HeldBack != 1 || result.Poll.Status != contract.RunFinishedWithErrors {
				t.Fatalf("execution output %s", out)
			}
			if n := e.sim.Calls(gismessage.DocumentDetails.SOAPAction()); n != 2 {
				t.Errorf("%d lookups sent, want 2", n)
			}
			if n := pgtest.Count(t, e.st, `SELECT count(*) FROM payment p JOIN recon_row r ON r.id = p.recon_row_id
				WHERE p.status = 'imported' AND r.payment_document_id = '12АБ345678-01-6101'`); n != 1 {
				t.Errorf("%d payments imported with the document GIS named", n)
			}
			if n := pgtest.Count(t, e.st, `SELECT count(*) FROM recon_row WHERE bill_number = 'B-2'
				AND hold_reason LIKE 'payment document not found in GIS%'`); n != 1 {
				t.Error("the row GIS found nothing for is not held with its reason")
			}
		})
	}
}
