package e2e

import (
	"context"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lambdalocal"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

// startRun uploads a matching pair of exports and returns the execution
// the upload trigger asks for.
func (e *env) startRun(t *testing.T) uploadtrigger.Execution {
	t.Helper()
	e.upload(t, "incoming/billing/uk-dom/billing.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"), "01")
	res := e.upload(t, "incoming/acquiring/uk-dom/acquiring.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"), "02")
	if res.Execution == nil {
		t.Fatalf("no execution asked for: %+v", res)
	}
	return *res.Execution
}

// sweep invokes the poller as its five-minute schedule does.
func (e *env) sweep(t *testing.T) poller.Result {
	t.Helper()
	var res poller.Result
	if err := lambdalocal.Invoke(e.invokeURL, "poller", poller.Request{}, &res); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return res
}

// paymentStatuses counts the payments by status, and returns the run's status.
func (e *env) paymentStatuses(t *testing.T) (map[contract.PaymentStatus]int, contract.RunStatus) {
	ctx := context.Background()
	out := map[contract.PaymentStatus]int{}
	rows, err := e.st.Pool.Query(ctx, `SELECT status, count(*) FROM payment GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s contract.PaymentStatus
		var n int
		rows.Scan(&s, &n)
		out[s] = n
	}
	var run contract.RunStatus
	e.st.Pool.QueryRow(ctx, `SELECT status FROM run`).Scan(&run)
	return out, run
}

// run runs an execution to its end and returns its output; it has a poll.
func (e *env) run(t *testing.T, ex uploadtrigger.Execution) contract.State {
	t.Helper()
	var res contract.State
	if out := e.execute(t, ex.Input, &res); res.Poll == nil {
		t.Fatalf("execution output without a poll: %s", out)
	}
	return res
}

// GIS down for longer than every retry of the state machine: the
// execution ends leaving the package to the sweep; once GIS is back the
// sweep sends the same package, polls it and settles the run, and GIS
// holds every payment once.
func TestOutageLongerThanRetries(t *testing.T) {
	e := setup(t)
	ex := e.startRun(t)
	e.sim.SetDown(true)
	res := e.run(t, ex)
	if res.Poll.Done || !res.Poll.LeftToSweep {
		t.Fatalf("execution during the outage: %+v", res)
	}
	if _, run := e.paymentStatuses(t); run != contract.RunPacking {
		t.Errorf("run %s during the outage", run)
	}
	if sweep := e.sweep(t); sweep.Resent != 0 {
		t.Errorf("sweep during the outage: %+v", sweep)
	}
	e.sim.SetDown(false)
	if sweep := e.sweep(t); sweep.Resent != 1 {
		t.Fatalf("sweep after the outage: %+v", sweep)
	}
	e.sweep(t)
	if c, run := e.paymentStatuses(t); c[contract.PaymentImported] != 5 || run != contract.RunFinished {
		t.Errorf("payments %v, run %s", c, run)
	}
	if e.sim.Imported() != 5 || e.sim.Accepted() != 1 {
		t.Errorf("GIS holds %d payments from %d packages", e.sim.Imported(), e.sim.Accepted())
	}
}

// A Lambda that dies after doing its work (Sandbox.Timedout) is retried
// by the state machine; every step is safe to run again, so the run ends
// with each payment loaded once. (The enricher's timeout with queries out
// with GIS is TestDocumentLookupThroughTheStateMachine's.)
func TestLambdaTimeoutInEachStep(t *testing.T) {
	for _, fn := range []string{"reconciler", "enricher", "packer", "sender", "poller"} {
		t.Run(fn, func(t *testing.T) {
			e := setup(t)
			ex := e.startRun(t)
			e.lambdas.InjectTimeouts(fn, 1)
			if res := e.run(t, ex); res.Enrich == nil || res.Poll.Status != contract.RunFinished || !res.Poll.Done {
				t.Fatalf("execution: %+v", res)
			}
			if c, run := e.paymentStatuses(t); c[contract.PaymentImported] != 5 || len(c) != 1 || run != contract.RunFinished {
				t.Errorf("payments %v, run %s", c, run)
			}
			if e.sim.Imported() != 5 || e.sim.Accepted() != 1 {
				t.Errorf("GIS holds %d payments from %d packages", e.sim.Imported(), e.sim.Accepted())
			}
		})
	}
}

// getState answers that do not say what GIS holds keep the run polling;
// at the limit the supplier payments are unknown and the run ends with
// errors; neither the run nor the sweep sends them again.
func TestDoubtfulAnswersThroughTheStateMachine(t *testing.T) {
	e := setup(t)
	ex := e.startRun(t)
	e.sim.TamperStates(func(res *etree.Element) { res.SelectElement("base:MessageGUID").SetText(uuid.NewString()) })
	if res := e.run(t, ex); res.Poll.Status != contract.RunFinishedWithErrors || !res.Poll.Done {
		t.Fatalf("execution: %+v", res)
	}
	if c, _ := e.paymentStatuses(t); c[contract.PaymentUnknown] != 5 {
		t.Errorf("payments %v", c)
	}
	e.sim.TamperStates(nil)
	if sweep := e.sweep(t); sweep.Resent != 0 || sweep.Polled != 0 {
		t.Errorf("sweep: %+v", sweep)
	}
	if e.sim.Imported() != 5 || e.sim.Accepted() != 1 {
		t.Errorf("GIS holds %d payments from %d packages", e.sim.Imported(), e.sim.Accepted())
	}
}
