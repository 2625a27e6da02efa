package poller_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// sent packs and sends n payments for a new organisation of kind.
func sent(t *testing.T, e *testkit.Env, kind string, n int) (int64, []int64) {
	pgtest.Organization(t, e.Store, "org1", kind)
	runID, ids := e.Packed(t, "org1", n, 1)
	if _, err := e.Send.Send(context.Background(), sender.Request{PackageIDs: ids}); err != nil {
		t.Fatal(err)
	}
	return runID, ids
}

func pollRun(t *testing.T, e *testkit.Env, runID int64) *poller.Result {
	t.Helper()
	res, err := e.Poll.Poll(context.Background(), poller.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// pollProcessed polls a run once GIS has processed its messages: the kit's
// simulator keeps a message a minute in each of states 1 and 2.
func pollProcessed(t *testing.T, e *testkit.Env, runID int64) *poller.Result {
	t.Helper()
	e.Clock.Add(3 * time.Minute)
	return pollRun(t, e, runID)
}

// sendNextRun reconciles a new run of org1 (rows payments), packs it with
// what earlier runs left to retry and sends it.
func sendNextRun(t *testing.T, e *testkit.Env, rows int, seed uint64) (int64, *packer.Result) {
	t.Helper()
	runID := e.Reconciled(t, "org1", rows, seed)
	res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send.Send(context.Background(), sender.Request{PackageIDs: res.PackageIDs}); err != nil {
		t.Fatal(err)
	}
	return runID, res
}

func counts(t *testing.T, e *testkit.Env, runID int64) map[contract.PaymentStatus]int {
	rows, _ := e.Store.Pool.Query(context.Background(), `SELECT status, count(*) FROM payment WHERE run_id = $1 GROUP BY status`, runID)
	out := map[contract.PaymentStatus]int{}
	for rows.Next() {
		var s contract.PaymentStatus
		var n int
		rows.Scan(&s, &n)
		out[s] = n
	}
	return out
}

func TestHappyPath(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	runID, ids := sent(t, e, "uk_rso", 300)
	if r := pollRun(t, e, runID); r.Done || r.Pending != 2 || r.Status != contract.RunProcessing {
		t.Fatalf("state 1: %+v", r)
	}
	e.Clock.Add(time.Minute)
	if r := pollRun(t, e, runID); r.Done || r.Status != contract.RunProcessing {
		t.Fatalf("state 2: %+v", r)
	}
	var states string
	e.Store.Pool.QueryRow(ctx, `SELECT string_agg(DISTINCT status || request_state, ',') FROM package WHERE run_id = $1`, runID).Scan(&states)
	if states != "processing2" {
		t.Errorf("packages in state 2: %s", states)
	}
	e.Clock.Add(time.Minute)
	r := pollRun(t, e, runID)
	if !r.Done || r.Status != contract.RunFinished || r.Applied != 2 || r.Pending != 0 {
		t.Fatalf("state 3: %+v", r)
	}
	if c := counts(t, e, runID); c[contract.PaymentImported] != 300 {
		t.Errorf("payments %v", c)
	}
	if missingGUID := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1 AND (gis_guid IS NULL OR unique_number IS NULL OR imported_at IS NULL)`, runID); missingGUID != 0 {
		t.Errorf("%d imported payments lack GUID, unique number or date", missingGUID)
	}
	pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
	var responseKey string
	e.Store.Pool.QueryRow(ctx, `SELECT response_key FROM package WHERE id = $1`, ids[0]).Scan(&responseKey)
	if responseKey != strings.Replace(pkgs[0].RequestKey, ".request.xml", ".response.xml", 1) {
		t.Errorf("response key %q beside request %q", responseKey, pkgs[0].RequestKey)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(e.S3.Get(t, testkit.Archive, responseKey)); err != nil || doc.FindElement("//ns13:getStateResult") == nil {
		t.Errorf("archived response unreadable: %v", err)
	}
	results := string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID)))
	if strings.Count(results, "\n") != 301 || strings.Count(results, ";imported;") != 300 {
		t.Errorf("results file:\n%.400s", results)
	}
	// Polling a finished run again changes nothing.
	if r := pollRun(t, e, runID); !r.Done || r.Polled != 0 {
		t.Errorf("after the end: %+v", r)
	}
}

func TestAlreadyLoadedAndRejected(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "ufkr")
	runID, ids := e.Packed(t, "org1", 30, 2)
	var orders []string
	rows, _ := e.Store.Pool.Query(ctx, `SELECT order_id FROM payment WHERE run_id = $1 ORDER BY id LIMIT 3`, runID)
	for rows.Next() {
		var o string
		rows.Scan(&o)
		orders = append(orders, o)
	}
	e.Sim.Preimport(orders[0], orders[1]) // loaded before by the system we replace
	e.Sim.FailItems(func(item *etree.Element) (string, string) {
		if item.FindElement(".//pb:OrderID").Text() == orders[2] {
			return "INT002000", "Лицевой счёт не найден в реестре"
		}
		return "", ""
	})
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil {
		t.Fatal(err)
	}
	r := pollProcessed(t, e, runID)
	if !r.Done || r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("%+v", r)
	}
	if c := counts(t, e, runID); c[contract.PaymentAlreadyImported] != 2 || c[contract.PaymentRejected] != 1 || c[contract.PaymentImported] != 27 {
		t.Errorf("payments %v", c)
	}
	var reason string
	e.Store.Pool.QueryRow(ctx, `SELECT error FROM payment WHERE order_id = $1`, orders[2]).Scan(&reason)
	if !strings.Contains(reason, "INT002000: Лицевой счёт не найден") {
		t.Errorf("reason %q", reason)
	}
}

func TestWholeMessageError(t *testing.T) {
	e := testkit.New(t, 0)
	e.Sim.FailNextMessages(1, "EXP001000", "Произошла ошибка при передаче данных")
	runID, _ := sent(t, e, "uk_rso", 5)
	r := pollProcessed(t, e, runID)
	if !r.Done || r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("%+v", r)
	}
	if c := counts(t, e, runID); c[contract.PaymentError] != 5 {
		t.Errorf("payments %v", c)
	}
}

// Two pollers at once never process one package: every package is applied
// exactly once between them.
func TestConcurrentPollers(t *testing.T) {
	e := testkit.New(t, 0)
	runID, ids := sent(t, e, "uk_rso", 2500) // 10 packages
	e.Clock.Add(3 * time.Minute)
	var wg sync.WaitGroup
	results := make([]*poller.Result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := *e.Poll
			p.Batch = 3
			for {
				r, err := p.Poll(context.Background(), poller.Request{RunID: runID})
				if err != nil {
					t.Error(err)
					return
				}
				if results[i] == nil {
					results[i] = &poller.Result{}
				}
				results[i].Applied += r.Applied
				if r.Done || r.Polled == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if total := results[0].Applied + results[1].Applied; total != len(ids) {
		t.Errorf("applied %d + %d packages, want %d in all", results[0].Applied, results[1].Applied, len(ids))
	}
	if c := counts(t, e, runID); c[contract.PaymentImported] != 2500 {
		t.Errorf("payments %v", c)
	}
	// Packages applied at the same moment must still settle the run.
	if run, _ := e.Store.RunByID(context.Background(), runID); run.Status != contract.RunFinished {
		t.Errorf("run %s after every package was applied", run.Status)
	}
	if calls := e.Sim.Calls("urn:getState"); calls != len(ids) {
		t.Errorf("%d getState calls for %d packages", calls, len(ids))
	}
}

// A message stuck in state 2 times its run out; the schedule's sweep still
// polls it, reports the stuck run, and a late answer settles the run.
func TestStuckRunTimesOut(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	e.Sim.StickNew(true)
	runID, _ := sent(t, e, "uk_rso", 5)
	e.Clock.Add(2 * time.Minute)
	if r := pollRun(t, e, runID); r.Done {
		t.Fatalf("done too early: %+v", r)
	}
	e.Clock.Add(20 * time.Minute)
	r := pollRun(t, e, runID)
	if !r.Done || !r.TimedOut || r.Status != contract.RunTimedOutStatus {
		t.Fatalf("after the limit: %+v", r)
	}
	if !strings.Contains(string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID))), ";sent;") {
		t.Error("no partial results file for the timed-out run")
	}
	sweep, err := e.Poll.Poll(ctx, poller.Request{})
	if err != nil || sweep.StuckRuns != 1 || sweep.Polled != 1 {
		t.Fatalf("sweep: %+v %v", sweep, err)
	}
}

func TestRecordFailure(t *testing.T) {
	e := testkit.New(t, 0)
	runID, _ := sent(t, e, "uk_rso", 1)
	r, err := e.Poll.Poll(context.Background(), poller.Request{RunID: runID, Failed: true, Error: "States.TaskFailed", Cause: "the sender gave up"})
	if err != nil || r.Status != contract.RunFailed || !r.Done {
		t.Fatalf("%+v %v", r, err)
	}
	run, _ := e.Store.RunByID(context.Background(), runID)
	if run.Error != "States.TaskFailed: the sender gave up" {
		t.Errorf("run error %q", run.Error)
	}
}

// Payments left in a retryable error are taken again by the next run of
// their organisation, and loaded once.
func TestErrorsAreRetriedByTheNextRun(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	e.Sim.FailNextMessages(1, "EXP001000", "Произошла ошибка при передаче данных")
	first, _ := sent(t, e, "uk_rso", 5)
	if r := pollProcessed(t, e, first); r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("first run: %+v", r)
	}
	second, res := sendNextRun(t, e, 3, 2)
	if res.Retried != 5 || res.Payments != 8 {
		t.Fatalf("second pack: %+v", res)
	}
	if r := pollProcessed(t, e, second); r.Status != contract.RunFinished {
		t.Fatalf("second run: %+v", r)
	}
	if c := counts(t, e, second); c[contract.PaymentImported] != 8 {
		t.Errorf("second run's payments %v", c)
	}
	third := e.Reconciled(t, "org1", 2, 3)
	if res, err := e.Pack.Pack(ctx, packer.Request{RunID: third}); err != nil || res.Retried != 0 {
		t.Errorf("third pack retried %+v %v", res, err)
	}
	if e.Sim.Imported() != 8 || e.Sim.Accepted() != 2 {
		t.Errorf("GIS holds %d payments from %d packages, want 8 from 2", e.Sim.Imported(), e.Sim.Accepted())
	}
}
