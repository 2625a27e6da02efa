package poller_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// nextRunRetries packs a new run of org1 and returns how many earlier
// payments it took again.
func nextRunRetries(t *testing.T, e *testkit.Env, seed uint64) int {
	t.Helper()
	res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: e.Reconciled(t, "org1", 1, seed)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Retried
}

func packageStatus(t *testing.T, e *testkit.Env, id int64) (status contract.PackageStatus, doubts int) {
	e.Store.Pool.QueryRow(context.Background(), `SELECT status, doubts FROM package WHERE id = $1`, id).Scan(&status, &doubts)
	return status, doubts
}

// importResults returns a processed getStateResult's ImportResult elements.
func importResults(res *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range res.ChildElements() {
		if c.Tag == "ImportResult" {
			out = append(out, c)
		}
	}
	return out
}

// Answers that do not say what GIS holds keep a supplier package polling;
// after DoubtLimit of them its payments are unknown, and no later run
// sends them again: GIS holds each payment once at most.
func TestDoubtfulAnswersNeverResendSupplierPayments(t *testing.T) {
	for name, doubt := range map[string]func(*gissim.Sim){
		"HTTP 403": func(s *gissim.Sim) {
			s.Inject("urn:getState", gissim.HTTP403, gissim.HTTP403, gissim.HTTP403)
		},
		"unreadable reply": func(s *gissim.Sim) {
			s.Inject("urn:getState", gissim.MalformedXML, gissim.MalformedXML, gissim.MalformedXML)
		},
		"ErrorMessage beside ImportResults": func(s *gissim.Sim) {
			s.TamperStates(func(res *etree.Element) {
				em := etree.NewElement("base:ErrorMessage")
				em.CreateElement("base:ErrorCode").SetText("EXP001000")
				em.CreateElement("base:Description").SetText("Произошла ошибка")
				res.InsertChildAt(importResults(res)[0].Index(), em)
			})
		},
		"a result for a TransportGUID never sent": func(s *gissim.Sim) {
			s.TamperStates(func(res *etree.Element) {
				importResults(res)[0].SelectElement("base:TransportGUID").SetText(uuid.NewString())
			})
		},
		"conflicting results for one TransportGUID": func(s *gissim.Sim) {
			s.TamperStates(func(res *etree.Element) {
				dup := importResults(res)[0].Copy()
				dup.RemoveChild(dup.SelectElement("base:UpdateDate"))
				if n := dup.SelectElement("base:UniqueNumber"); n != nil {
					dup.RemoveChild(n)
				}
				e := dup.CreateElement("base:Error")
				e.CreateElement("base:ErrorCode").SetText("INT002000")
				e.CreateElement("base:Description").SetText("не найдено")
				res.AddChild(dup)
			})
		},
		"a reply about another message": func(s *gissim.Sim) {
			s.TamperStates(func(res *etree.Element) { res.SelectElement("base:MessageGUID").SetText(uuid.NewString()) })
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := testkit.New(t, 0)
			e.Poll.DoubtLimit = 3
			runID, ids := sent(t, e, "uk_rso", 4)
			e.Clock.Add(3 * time.Minute)
			doubt(e.Sim)
			for i := 1; i < 3; i++ {
				if r := pollRun(t, e, runID); r.Done || r.Doubtful != 1 {
					t.Fatalf("doubt %d: %+v", i, r)
				}
				if st, n := packageStatus(t, e, ids[0]); n != i || (st != contract.PackageSent && st != contract.PackageProcessing) {
					t.Fatalf("doubt %d: package %s with %d doubts", i, st, n)
				}
			}
			if r := pollRun(t, e, runID); !r.Done || r.Status != contract.RunFinishedWithErrors {
				t.Fatalf("at the limit: %+v", r)
			}
			if st, _ := packageStatus(t, e, ids[0]); st != contract.PackageUnknown {
				t.Errorf("package %s", st)
			}
			if c := counts(t, e, runID); c[contract.PaymentUnknown] != 4 {
				t.Errorf("payments %v", c)
			}
			e.Sim.TamperStates(nil)
			if r, err := e.Poll.Poll(context.Background(), poller.Request{}); err != nil || r.Polled != 0 {
				t.Errorf("the sweep polls an unknown package: %+v %v", r, err)
			}
			if n := nextRunRetries(t, e, 9); n != 0 {
				t.Errorf("the next run sends %d unknown payments again", n)
			}
			if e.Sim.Imported() != 4 {
				t.Errorf("GIS holds %d payments, want 4", e.Sim.Imported())
			}
		})
	}
}

// A TLS failure while asking is doubtful, not a refusal of the payments.
func TestTLSFailureIsDoubtful(t *testing.T) {
	e := testkit.New(t, 0)
	runID, ids := sent(t, e, "uk_rso", 2)
	srv := httptest.NewTLSServer(e.Sim) // a certificate the client does not trust
	t.Cleanup(srv.Close)
	untrusting, err := gisclient.New(gisclient.Config{Endpoint: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.Poll.GIS = untrusting
	if r := pollProcessed(t, e, runID); r.Done || r.Doubtful != 1 {
		t.Fatalf("%+v", r)
	}
	if c := counts(t, e, runID); c[contract.PaymentSent] != 2 {
		t.Errorf("payments %v", c)
	}
	if st, n := packageStatus(t, e, ids[0]); n != 1 || st == contract.PackageFailed {
		t.Errorf("package %s, %d doubts", st, n)
	}
}

// Payments a processed answer leaves out are unknown, never re-sent; the
// others are applied.
func TestMissingResultsAreUnknown(t *testing.T) {
	e := testkit.New(t, 0)
	runID, _ := sent(t, e, "uk_rso", 3)
	e.Sim.TamperStates(func(res *etree.Element) { res.RemoveChild(importResults(res)[2]) })
	if r := pollProcessed(t, e, runID); !r.Done || r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("%+v", r)
	}
	if c := counts(t, e, runID); c[contract.PaymentImported] != 2 || c[contract.PaymentUnknown] != 1 {
		t.Errorf("payments %v", c)
	}
	if n := nextRunRetries(t, e, 9); n != 0 {
		t.Errorf("the next run sends %d unknown payments again", n)
	}
}

// A code nobody has classified leaves the payment unknown: neither
// retried nor given up on a guess.
func TestUnknownCodeIsUnknown(t *testing.T) {
	e := testkit.New(t, 0)
	e.Sim.FailItems(func(*etree.Element) (string, string) { return "SRV999999", "Новая ошибка" })
	runID, _ := sent(t, e, "uk_rso", 2)
	pollProcessed(t, e, runID)
	var status contract.PaymentStatus
	var reason string
	e.Store.Pool.QueryRow(context.Background(), `SELECT status, error FROM payment WHERE run_id = $1 LIMIT 1`, runID).Scan(&status, &reason)
	if status != contract.PaymentUnknown || reason != "SRV999999: Новая ошибка" {
		t.Errorf("payment %s: %s", status, reason)
	}
}

// GIS's UpdateDate without a zone offset is Moscow time.
func TestUpdateDateWithoutOffsetIsMoscowTime(t *testing.T) {
	e := testkit.New(t, 0)
	runID, _ := sent(t, e, "uk_rso", 1)
	e.Sim.TamperStates(func(res *etree.Element) {
		importResults(res)[0].SelectElement("base:UpdateDate").SetText("2026-11-22T10:00:00.000")
	})
	pollProcessed(t, e, runID)
	var at time.Time
	e.Store.Pool.QueryRow(context.Background(), `SELECT imported_at FROM payment WHERE run_id = $1 AND status = 'imported'`, runID).Scan(&at)
	if want := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("imported at %v, want %v", at, want)
	}
}

// A fatal whole-message code (the system lacks rights) rejects the
// payments with the reason; no later run retries them.
func TestFatalMessageCodeRejects(t *testing.T) {
	e := testkit.New(t, 0)
	e.Sim.FailNextMessages(1, "AUT011009", "Не предоставлен доступ")
	runID, _ := sent(t, e, "uk_rso", 3)
	pollProcessed(t, e, runID)
	if c := counts(t, e, runID); c[contract.PaymentRejected] != 3 {
		t.Errorf("payments %v", c)
	}
	if n := nextRunRetries(t, e, 9); n != 0 {
		t.Errorf("the next run retries %d rejected payments", n)
	}
}

// Retryable errors are retried by later runs up to the cap; then the
// error is final, with the reason, and nothing takes the order again.
func TestRetriesEndAtTheCap(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	e.Store.MaxAttempts = 2
	e.Sim.FailNextMessages(2, "EXP001000", "Произошла ошибка при передаче данных")
	first, _ := sent(t, e, "uk_rso", 3)
	pollProcessed(t, e, first)
	second, res := sendNextRun(t, e, 1, 2)
	if res.Retried != 3 {
		t.Fatalf("second pack: %+v", res)
	}
	pollProcessed(t, e, second)
	if c := counts(t, e, second); c[contract.PaymentRejected] != 3 || c[contract.PaymentError] != 1 {
		t.Errorf("second run's payments %v", c)
	}
	var reason string
	e.Store.Pool.QueryRow(ctx, `SELECT error FROM payment WHERE run_id = $1 AND status = 'rejected' LIMIT 1`, second).Scan(&reason)
	if !strings.HasSuffix(reason, "(given up after 2 attempts)") {
		t.Errorf("reason %q", reason)
	}
	if n := nextRunRetries(t, e, 3); n != 1 {
		t.Errorf("the third run retries %d payments, want the one on its first attempt", n)
	}
}

// A GIS outage longer than the state machine's retries: the run's
// execution ends leaving its packages to the sweep, the run times out, and
// when GIS is back the sweep sends the same packages, polls them and
// settles the run. Every payment is loaded once.
func TestOutageLongerThanRetries(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	storetestOrg(t, e)
	runID, ids := e.Packed(t, "org1", 300, 1)
	e.Sim.SetDown(true)
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err == nil {
		t.Fatal("sent while GIS is down")
	}
	if r := pollRun(t, e, runID); r.Done || !r.LeftToSweep || r.Unsent != 2 {
		t.Fatalf("after the failed sends: %+v", r)
	}
	e.Clock.Add(25 * time.Minute)
	sweep, err := e.Poll.Poll(ctx, poller.Request{})
	if err != nil || sweep.Resent != 0 || sweep.StuckRuns != 1 {
		t.Fatalf("sweep during the outage: %+v %v", sweep, err)
	}
	if run, _ := e.Store.RunByID(ctx, runID); run.Status != contract.RunTimedOutStatus {
		t.Errorf("run %s during the outage", run.Status)
	}
	e.Sim.SetDown(false)
	e.Clock.Add(10 * time.Minute)
	if sweep, err = e.Poll.Poll(ctx, poller.Request{}); err != nil || sweep.Resent != 2 {
		t.Fatalf("sweep after the outage: %+v %v", sweep, err)
	}
	e.Clock.Add(3 * time.Minute)
	if sweep, err = e.Poll.Poll(ctx, poller.Request{}); err != nil || sweep.Applied != 2 || sweep.StuckRuns != 0 {
		t.Fatalf("sweep polling: %+v %v", sweep, err)
	}
	if run, _ := e.Store.RunByID(ctx, runID); run.Status != contract.RunFinished {
		t.Errorf("run %s after the outage", run.Status)
	}
	if c := counts(t, e, runID); c[contract.PaymentImported] != 300 {
		t.Errorf("payments %v", c)
	}
	if e.Sim.Imported() != 300 || e.Sim.Accepted() != 2 {
		t.Errorf("GIS holds %d payments from %d packages", e.Sim.Imported(), e.Sim.Accepted())
	}
	if !strings.Contains(string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID))), ";imported;") {
		t.Error("no results file after the run settled")
	}
}

// A run that failed while its packages were out is settled, and its status
// corrected, when the sweep brings them in.
func TestFailedRunIsSettledLater(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	storetestOrg(t, e)
	runID, _ := e.Packed(t, "org1", 5, 1)
	if _, err := e.Poll.Poll(ctx, poller.Request{RunID: runID, Failed: true, Error: "States.Timeout", Cause: "the state machine timed out"}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(10 * time.Minute)
	if sweep, err := e.Poll.Poll(ctx, poller.Request{}); err != nil || sweep.Resent != 1 || sweep.StuckRuns != 1 {
		t.Fatalf("sweep: %+v %v", sweep, err)
	}
	e.Clock.Add(10 * time.Minute)
	if _, err := e.Poll.Poll(ctx, poller.Request{}); err != nil {
		t.Fatal(err)
	}
	if run, _ := e.Store.RunByID(ctx, runID); run.Status != contract.RunFinished {
		t.Errorf("run %s", run.Status)
	}
}

// A run every package of which GIS refused on send is settled by the
// sender; its results file is still written.
func TestRunSettledBySenderGetsResults(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	storetestOrg(t, e)
	runID, ids := e.Packed(t, "org1", 2, 1)
	e.Sim.Inject("urn:importSupplierNotificationsOfOrderExecution", gissim.RefuseFormat)
	if res, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil || res.Failed != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if r := pollRun(t, e, runID); !r.Done || r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID))), ";rejected;") {
		t.Error("no results file")
	}
}

// The poller starts no call it could not finish before its deadline: the
// packages go back, unpolled.
func TestPollerStopsBeforeItsDeadline(t *testing.T) {
	e := testkit.New(t, 0)
	runID, _ := sent(t, e, "uk_rso", 3)
	e.Poll.CallTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := e.Poll.Poll(ctx, poller.Request{RunID: runID})
	if err != nil || r.Retry != 1 || r.Applied != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if calls := e.Sim.Calls("urn:getState"); calls != 0 {
		t.Errorf("%d getState calls", calls)
	}
	if r := pollRun(t, e, runID); r.Polled != 1 {
		t.Errorf("the package was not given back: %+v", r)
	}
}

func storetestOrg(t *testing.T, e *testkit.Env) { pgtest.Organization(t, e.Store, "org1", "uk_rso") }
