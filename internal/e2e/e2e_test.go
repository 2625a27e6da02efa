// Package e2e runs the synthesized state machine definition end to end on
// this machine: the CDK app's definition (turned into plain ASL) executed by
// aws-local-stepfunctions, every Task invoking the real function binaries
// through lambdalocal, against Postgres, an S3 API (gofakes3) and the GIS
// simulator.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

// The happy path through every step, with a duplicate upload event (one
// execution) and a transient send failure the state machine retries.
func TestPipeline(t *testing.T) {
	e := setup(t)
	executions := map[string]uploadtrigger.Execution{} // Step Functions starts a name once
	for i, f := range []struct{ key, file string }{
		{"incoming/billing/uk-dom/billing.csv", "billing-uk-dom-2026-11-21.csv"},
		{"incoming/acquiring/uk-dom/реестр 21.11.csv", "acquiring-uk-dom-2026-11-21.csv"},
	} {
		res := e.upload(t, f.key, testdata(t, f.file), fmt.Sprintf("%02d", i))
		if res.Execution != nil {
			executions[res.Execution.Name] = *res.Execution
		}
	}
	again := e.upload(t, "incoming/acquiring/uk-dom/реестр 21.11.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"), "01")
	if !again.Duplicate || again.Execution == nil {
		t.Fatalf("duplicate event: %+v", again)
	}
	executions[again.Execution.Name] = *again.Execution
	if len(executions) != 1 {
		t.Fatalf("%d executions asked for, want 1", len(executions))
	}
	e.sim.Inject(gismessage.SupplierNotifications.SOAPAction(), gissim.HTTP503)
	for _, ex := range executions {
		var result contract.State
		out := e.execute(t, ex.Input, &result)
		if result.Reconcile == nil || result.Pack == nil || result.Poll == nil ||
			result.Reconcile.Matched != 5 || result.Pack.Payments != 5 || result.Poll.Status != contract.RunFinished || !result.Poll.Done {
			t.Fatalf("execution output %s", out)
		}
	}
	if calls := e.sim.Calls(gismessage.SupplierNotifications.SOAPAction()); calls != 2 || e.sim.Accepted() != 1 {
		t.Errorf("GIS saw %d sends and accepted %d packages; want 2 (one refused with 503) and 1", calls, e.sim.Accepted())
	}
	if imported := pgtest.Count(t, e.st, `SELECT count(*) FROM payment WHERE status = 'imported'`); imported != 5 {
		t.Errorf("%d payments imported", imported)
	}
}

// A step that fails for good ends the execution in "Run failed" whose
// Cause an administrator can read, and the run records it.
func TestFailedStepHasReadableCause(t *testing.T) {
	e := setup(t)
	e.upload(t, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"), "01")
	// Two rows of three bad: more than the default share of bad rows, so the file fails.
	bad := exportcsv.AcquiringHeader + "2026-11-21;O0;2026-11-21;B0;S1;SV1;LS1;1;0\n" +
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1O;0\n2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;ten;0\n"
	res := e.upload(t, "incoming/acquiring/uk-dom/bad.csv", []byte(bad), "02")
	if res.Execution == nil {
		t.Fatalf("no execution asked for: %+v", res)
	}
	_, err := e.runner.Run(context.Background(), e.definition, res.Execution.Input)
	var failed *sfnlocal.ExecutionFailed
	if !errors.As(err, &failed) || failed.Name != "InvalidInput" ||
		!strings.Contains(failed.Cause, `incoming/acquiring/uk-dom/bad.csv: line 4, column "main_sum": bad number "ten"`) {
		t.Fatalf("execution error: %v", err)
	}
	var status contract.RunStatus
	e.st.Pool.QueryRow(context.Background(), `SELECT status FROM run`).Scan(&status)
	if status != contract.RunFailed {
		t.Errorf("run %s", status)
	}
}
