package canceller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/canceller"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// loaded imports n payments of a new organisation of kind through the
// pipeline and returns the run.
func loaded(t *testing.T, e *testkit.Env, kind string, n int) int64 {
	t.Helper()
	pgtest.Organization(t, e.Store, "org1", kind)
	runID, ids := e.Packed(t, "org1", n, 1)
	settle(t, e, runID, ids)
	if got := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE status = 'imported'`); got != n {
		t.Fatalf("%d of %d imported", got, n)
	}
	return runID
}

// settle sends a run's packages and polls them to the end.
func settle(t *testing.T, e *testkit.Env, runID int64, ids []int64) *poller.Result {
	t.Helper()
	ctx := context.Background()
	if len(ids) > 0 {
		if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Add(2 * time.Minute)
	res, err := e.Poll.Poll(ctx, poller.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func service(e *testkit.Env) *canceller.Service { return e.App.Canceller() }

// cancel uploads a cancellations export and runs the cancellation through
// the canceller, packer, sender and poller.
func cancel(t *testing.T, e *testkit.Env, name, csv string) (*contract.CancellerResult, *poller.Result) {
	t.Helper()
	ctx := context.Background()
	key := "incoming/cancellations/org1/" + name
	etag := e.S3.Put(t, testkit.Exports, key, []byte(csv))
	res, err := service(e).Cancel(ctx, canceller.Request{Org: "org1", Kind: contract.KindCancellation,
		Files: []contract.FileRef{{Bucket: testkit.Exports, Key: key, ETag: etag}}})
	if err != nil {
		t.Fatal(err)
	}
	packed, err := e.Pack.Pack(ctx, packer.Request{RunID: res.RunID})
	if err != nil {
		t.Fatal(err)
	}
	return res, settle(t, e, res.RunID, packed.PackageIDs)
}

// payment is one loaded payment's identity.
type payment struct {
	id                         int64
	orderID, bill, day, amount string
	uniqueNumber, reason       string
	status                     contract.PaymentStatus
}

func payments(t *testing.T, e *testkit.Env) []payment {
	rows, err := e.Store.Pool.Query(context.Background(), `SELECT p.id, p.order_id, r.bill_number, r.day::text, p.amount::text,
			coalesce(p.unique_number, ''), p.status,
			coalesce((SELECT coalesce(c.reason, c.status) FROM cancellation c WHERE c.payment_id = p.id ORDER BY c.id DESC LIMIT 1), '')
		FROM payment p JOIN recon_row r ON r.id = p.recon_row_id ORDER BY p.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []payment
	for rows.Next() {
		var p payment
		if err := rows.Scan(&p.id, &p.orderID, &p.bill, &p.day, &p.amount, &p.uniqueNumber, &p.status, &p.reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Import, then cancel: by order id and by bill, day and amount; an order
// nobody loaded is refused before GIS; an order GIS does not hold is
// refused by GIS (INT002000); a second cancel of a cancelled payment is
// refused; the same export again registers nothing.
func TestCancelEndToEnd(t *testing.T) {
	for _, kind := range []string{"ufkr", "uk_rso"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := testkit.New(t, 0)
			loaded(t, e, kind, 5)
			ps := payments(t, e)
			csv := canceller.Header +
				fmt.Sprintf("%s;;;;25.11.2026;Возврат по заявлению\n", ps[0].orderID) +
				fmt.Sprintf(";%s;%s;%s;2026-11-25;\n", ps[1].bill, ps[1].day, strings.Replace(ps[1].amount, ".", ",", 1)) +
				"NO-SUCH-ORDER;;;;2026-11-25;\n"
			if kind == "uk_rso" {
				// A payment whose UniqueNumber GIS does not know.
				e.Store.Pool.Exec(ctx, `UPDATE payment SET unique_number = '9999999999' WHERE id = $1`, ps[2].id)
				csv += ps[2].orderID + ";;;;2026-11-25;\n"
			}
			res, poll := cancel(t, e, "c.csv", csv)
			want := 2
			if kind == "uk_rso" {
				want = 3
			}
			if res.Requested != want || res.Refused != 1 || poll.Status != contract.RunFinishedWithErrors {
				t.Fatalf("canceller %+v, poller %+v", res, poll)
			}
			ps = payments(t, e)
			for _, i := range []int{0, 1} {
				if ps[i].status != contract.PaymentCancelled {
					t.Errorf("payment %d: %s (%s)", i, ps[i].status, ps[i].reason)
				}
				gisOrder := ps[i].orderID
				if kind == "uk_rso" {
					gisOrder = ps[i].uniqueNumber // supplier notifications are cancelled by their UniqueNumber
				}
				if !e.Sim.IsCancelled(gisOrder) {
					t.Errorf("GIS does not hold payment %d (%s) cancelled", i, gisOrder)
				}
			}
			if kind == "uk_rso" && (ps[2].status != contract.PaymentCancelRejected || !strings.Contains(ps[2].reason, gissim.UnknownOrderCode)) {
				t.Errorf("payment GIS does not hold: %s (%s)", ps[2].status, ps[2].reason)
			}
			if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM cancellation WHERE status = 'refused'
				AND reason = 'no payment with order_id "NO-SUCH-ORDER" was loaded for org1'`); n != 1 {
				t.Error("the unknown order was not refused with its reason")
			}
			if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE status = 'imported'`); n != 5-want {
				t.Errorf("%d payments left imported, want %d", n, 5-want)
			}
			results := string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(res.RunID)))
			if strings.Count(results, ";cancelled;") != 2 || !strings.Contains(results, ";cancel_refused;") {
				t.Errorf("results file:\n%s", results)
			}

			// The same export again: nothing new.
			key := "incoming/cancellations/org1/c.csv"
			again, err := service(e).Cancel(ctx, canceller.Request{Org: "org1", Kind: contract.KindCancellation,
				Files: []contract.FileRef{{Bucket: testkit.Exports, Key: key, ETag: e.S3.Put(t, testkit.Exports, key, []byte(csv))}}})
			if err != nil || again.RunID != res.RunID || again.Duplicate != want+1 || again.Requested != 0 {
				t.Errorf("repeated: %+v, %v", again, err)
			}
			// A cancelled payment is not cancelled twice.
			second, _ := cancel(t, e, "again.csv", canceller.Header+ps[0].orderID+";;;;2026-11-26;\n")
			if second.Refused != 1 || e.Sim.Calls(gismessage.Cancellations.SOAPAction()) != 1 {
				t.Errorf("second cancel: %+v, GIS saw %d cancellation packages", second, e.Sim.Calls(gismessage.Cancellations.SOAPAction()))
			}
		})
	}
}

// A cancellation GIS never answers clearly ends cancel_unknown and is not
// sent again.
func TestDoubtfulCancellationIsUnknown(t *testing.T) {
	e := testkit.New(t, 0)
	loaded(t, e, "uk_rso", 2)
	ps := payments(t, e)
	e.Poll.DoubtLimit = 1
	e.Sim.Inject("urn:getState", gissim.HTTP403)
	_, poll := cancel(t, e, "c.csv", canceller.Header+ps[0].orderID+";;;;2026-11-25;\n")
	if poll.Status != contract.RunFinishedWithErrors {
		t.Fatalf("poller %+v", poll)
	}
	if ps = payments(t, e); ps[0].status != contract.PaymentCancelUnknown || !strings.Contains(ps[0].reason, "no definite answer") {
		t.Errorf("payment %s (%s)", ps[0].status, ps[0].reason)
	}
	e.Clock.Add(time.Hour)
	if _, err := e.Poll.Poll(context.Background(), poller.Request{}); err != nil { // the sweep
		t.Fatal(err)
	}
	if calls := e.Sim.Calls(gismessage.Cancellations.SOAPAction()); calls != 1 {
		t.Errorf("GIS saw the cancellation %d times", calls)
	}
	// A person may ask again; GIS answers the repeat as the first.
	if _, err := e.Store.RequestCancellation(context.Background(), "org1", ps[0].orderID, calendar.FromYMD(2026, 11, 27), "", "admin", "ticket-1"); err != nil {
		t.Fatal(err)
	}
	if ps = payments(t, e); ps[0].status != contract.PaymentCancelRequested {
		t.Errorf("after a new request: %s", ps[0].status)
	}
}

// A bad export fails with every problem located and registers nothing.
func TestBadExportIsLocated(t *testing.T) {
	e := testkit.New(t, 0)
	loaded(t, e, "ufkr", 1)
	ctx := context.Background()
	csv := "Номер операции;Дата аннулирования;Причина\n" +
		"O1;31.02.2026;x\n" +
		"O2;2026-11-25;" + strings.Repeat("я", 211) + "\n" +
		";2026-11-25;\n"
	key := "incoming/cancellations/org1/bad.csv"
	etag := e.S3.Put(t, testkit.Exports, key, []byte(csv))
	_, err := service(e).Cancel(ctx, canceller.Request{Org: "org1", Kind: contract.KindCancellation,
		Files: []contract.FileRef{{Bucket: testkit.Exports, Key: key, ETag: etag}}})
	msg := fmt.Sprint(err)
	for _, want := range []string{
		`incoming/cancellations/org1/bad.csv: line 2, column "cancellation_date": bad date "31.02.2026"`,
		`line 3, column "reason": 211 characters, GIS takes at most 210`,
		`line 4, column "order_id": empty value`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if steperr.KindOf(err) != steperr.InvalidInput {
		t.Errorf("kind %v", steperr.KindOf(err))
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM cancellation`) + pgtest.Count(t, e.Store, `SELECT count(*) FROM run WHERE kind = 'cancellations'`); n != 0 {
		t.Errorf("%d rows written", n)
	}
	_, err = service(e).Cancel(ctx, canceller.Request{Org: "org1", Kind: contract.KindCancellation,
		Files: []contract.FileRef{{Bucket: testkit.Exports, Key: key, ETag: e.S3.Put(t, testkit.Exports, key, []byte("date;amount\n"))}}})
	if err == nil || !strings.Contains(err.Error(), "missing column cancellation_date") {
		t.Errorf("header: %v", err)
	}
	if _, err := service(e).Cancel(ctx, canceller.Request{Org: "org1"}); !errors.Is(err, err) || steperr.KindOf(err) != steperr.InvalidInput {
		t.Errorf("no kind: %v", err)
	}
}
