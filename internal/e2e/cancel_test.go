package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// Import, then cancel, through the synthesized definition: the upload of a
// cancellations export starts a cancellation run ("Register cancellations",
// then the same packing, sending and polling states). GIS cancels what it
// holds and refuses a payment it does not (INT002000); an order nobody
// loaded is refused before GIS.
func TestCancellationThroughTheStateMachine(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.upload(t, "incoming/billing/uk-dom/billing.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"), "01")
	res := e.upload(t, "incoming/acquiring/uk-dom/acquiring.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"), "02")
	if res.Execution == nil {
		t.Fatalf("no run asked for: %+v", res)
	}
	if _, err := e.runner.Run(ctx, e.definition, res.Execution.Input); err != nil {
		t.Fatal(err)
	}
	type payment struct{ orderID, bill, day, amount, number string }
	var ps []payment
	rows, _ := e.st.Pool.Query(ctx, `SELECT p.order_id, r.bill_number, r.day::text, p.amount::text, p.unique_number
		FROM payment p JOIN recon_row r ON r.id = p.recon_row_id WHERE p.status = 'imported' ORDER BY p.id`)
	for rows.Next() {
		var p payment
		rows.Scan(&p.orderID, &p.bill, &p.day, &p.amount, &p.number)
		ps = append(ps, p)
	}
	if rows.Err() != nil || len(ps) != 5 {
		t.Fatalf("%d payments imported: %v", len(ps), rows.Err())
	}
	// A payment GIS does not hold (its UniqueNumber is not GIS's).
	e.st.Pool.Exec(ctx, `UPDATE payment SET unique_number = '9999999999' WHERE order_id = $1`, ps[2].orderID)

	csv := "Номер операции;Номер счёта;Дата;Сумма;Дата аннулирования;Причина\n" +
		fmt.Sprintf("%s;;;;25.11.2026;Возврат\n", ps[0].orderID) +
		fmt.Sprintf(";%s;%s;%s;25.11.2026;Ошибочный платёж\n", ps[1].bill, ps[1].day, ps[1].amount) +
		fmt.Sprintf("%s;;;;25.11.2026;\n", ps[2].orderID) +
		"NO-SUCH-ORDER;;;;25.11.2026;\n"
	up := e.upload(t, "incoming/cancellations/uk-dom/возвраты.csv", []byte(csv), "03")
	if up.Execution == nil || up.Status != "registered" {
		t.Fatalf("cancellations upload: %+v", up)
	}
	var result struct {
		contract.State
		Reconcile contract.CancellerResult `json:"reconcile"` // a cancellation run's first step
	}
	out := e.execute(t, up.Execution.Input, &result)
	if result.Pack == nil || result.Poll == nil || result.Reconcile.Requested != 3 || result.Reconcile.Refused != 1 || result.Pack.Packages != 1 || result.Pack.Payments != 3 ||
		result.Poll.Status != contract.RunFinishedWithErrors || !result.Poll.Done {
		t.Fatalf("execution output %s", out)
	}
	for _, i := range []int{0, 1} {
		if !e.sim.IsCancelled(ps[i].number) {
			t.Errorf("GIS does not hold payment %s cancelled", ps[i].orderID)
		}
	}
	got := map[contract.PaymentStatus]int{}
	rows, _ = e.st.Pool.Query(ctx, `SELECT status, count(*) FROM payment GROUP BY status`)
	for rows.Next() {
		var s contract.PaymentStatus
		var n int
		rows.Scan(&s, &n)
		got[s] = n
	}
	if got[contract.PaymentCancelled] != 2 || got[contract.PaymentCancelRejected] != 1 || got[contract.PaymentImported] != 2 {
		t.Errorf("payments by status %v", got)
	}
	if n := pgtest.Count(t, e.st, `SELECT count(*) FROM cancellation WHERE status = 'rejected' AND error_code = $1`, gissim.UnknownOrderCode); n != 1 {
		t.Errorf("%d cancellations refused by GIS with %s", n, gissim.UnknownOrderCode)
	}
	if n := pgtest.Count(t, e.st, `SELECT count(*) FROM cancellation WHERE status = 'refused' AND reason LIKE 'no payment with order_id "NO-SUCH-ORDER"%'`); n != 1 {
		t.Error("the unknown order was not refused")
	}
	if calls := e.sim.Calls(gismessage.Cancellations.SOAPAction()); calls != 1 {
		t.Errorf("GIS saw %d cancellation packages", calls)
	}
	// A header without cancellation_date is refused at upload: no run.
	bad := e.upload(t, "incoming/cancellations/uk-dom/bad.csv", []byte("order_id;reason\n1;x\n"), "04")
	if bad.Status != "failed" || bad.Execution != nil || len(bad.Errors) != 1 ||
		!strings.Contains(bad.Errors[0].Error(), "missing column cancellation_date") {
		t.Errorf("bad header: %+v", bad)
	}
}
