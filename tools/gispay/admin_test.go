package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/lambdalocal"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// gispay runs the command as a shell would, capturing what it prints.
func gispay(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

// must runs the command and fails the test unless it succeeds.
func must(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := gispay(t, args...)
	if code != 0 {
		t.Fatalf("gispay %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// settled runs a fund's run of 5 payments through the simulator: one
// comes back with a code nobody classified (unknown), one rejected.
func settled(t *testing.T, e *testkit.Env) (runID int64, orders []string, ids map[string]string) {
	ctx := context.Background()
	pgtest.Organization(t, e.Store, "fund", "ufkr")
	runID, pkgs := e.Packed(t, "fund", 5, 1)
	rows, _ := e.Store.Pool.Query(ctx, `SELECT order_id, id::text FROM payment WHERE run_id = $1 ORDER BY id`, runID)
	ids = map[string]string{}
	for rows.Next() {
		var o, id string
		rows.Scan(&o, &id)
		orders = append(orders, o)
		ids[o] = id
	}
	e.Sim.FailItems(func(item *etree.Element) (string, string) {
		switch item.FindElement(".//pb:OrderID").Text() {
		case orders[0]:
			return "ZZZ000001", "a code nobody classified"
		case orders[1]:
			return "INT002000", "Лицевой счёт не найден в реестре"
		}
		return "", ""
	})
	sendAndPoll(t, e, runID, pkgs)
	return runID, orders, ids
}

func sendAndPoll(t *testing.T, e *testkit.Env, runID int64, pkgs []int64) {
	ctx := context.Background()
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: pkgs}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(3 * time.Minute)
	if _, err := e.Poll.Poll(ctx, poller.Request{RunID: runID}); err != nil {
		t.Fatal(err)
	}
}

func setupLocal(t *testing.T) *testkit.Env {
	e := testkit.New(t, 0)
	t.Setenv("DATABASE_URL", e.URL)
	t.Setenv("GISPAY_FUNCTION", "")
	t.Setenv("STATE_MACHINE_ARN", "")
	t.Setenv("GISPAY_ACTOR", "alice")
	return e
}

// Bad requisites are refused with every fault named at once, and nothing
// is stored.
func TestOrgValidation(t *testing.T) {
	e := setupLocal(t)
	code, _, errOut := gispay(t, "org", "add", "--code", "bad", "--name", "Фонд", "--kind", "ufkr",
		"--inn", "7701234561", "--kpp", "77010100", "--org-ppa-guid", "not-a-guid", "--bik", "144525225",
		"--account", "40702810900000000001", "--corr-account", "30101810400000000225",
		"--bank-name", "Банк", "--recipient", "Фонд")
	for _, want := range []string{
		`InvalidInput: admin org.add: organization "bad"`,
		`inn "7701234561": check digit 10 is 1, want 0`,
		`kpp "77010100": want 9 digits`,
		`org_ppa_guid "not-a-guid": want a GUID`,
		`bank_bik "144525225": want 9 digits starting with 04`,
		`operating_account "40702810900000000001": control key (digit 9) does not match BIK 144525225`,
	} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, want %q in:\n%s", code, want, errOut)
		}
	}
	code, _, errOut = gispay(t, "org", "add", "--code", "f2", "--name", "Фонд", "--kind", "ufkr", "--inn", "7701234560",
		"--kpp", "770101001", "--org-ppa-guid", "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c", "--bik", "044525225",
		"--account", "40702810900000000001", "--corr-account", "30101810400000000226", "--bank-name", "Банк", "--recipient", "Фонд")
	if code != 1 || !strings.Contains(errOut, `operating_account "40702810900000000001": control key`) ||
		!strings.Contains(errOut, `correspondent_account "30101810400000000226": control key`) {
		t.Errorf("account keys: exit %d\n%s", code, errOut)
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM organization`); n != 0 {
		t.Errorf("%d organisations stored", n)
	}
	if code, _, errOut := gispay(t, "org", "add"); code != 2 || !strings.Contains(errOut, "--code is required") {
		t.Errorf("no code: exit %d %s", code, errOut)
	}
}

func TestOrgCommands(t *testing.T) {
	setupLocal(t)
	must(t, "org", "add", "--code", "uk-dom", "--name", "ООО «Дом»", "--kind", "uk_rso", "--inn", "500123456750",
		"--org-ppa-guid", "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c")
	fund := []string{"--name", "Фонд", "--kind", "ufkr", "--inn", "7701234560",
		"--kpp", "770101001", "--org-ppa-guid", "0b6a2c1e-9d3f-4e5a-8b7c-1d2e3f4a5b6c", "--bik", "044525225",
		"--account", "40702810200000000001", "--corr-account", "30101810400000000225", "--bank-name", "ПАО Сбербанк",
		"--recipient", "Фонд капремонта", "--signing-key", "arn:aws:secretsmanager:eu-central-1:1:secret:gis-payments/signing/fund-x"}
	out := must(t, append([]string{"org", "add", "--code", "fund"}, fund...)...)
	if !strings.Contains(out, "signs:            arn:aws:secretsmanager") || !strings.Contains(out, "load_policy:      matched") {
		t.Errorf("org add:\n%s", out)
	}
	if code, _, errOut := gispay(t, append([]string{"org", "add", "--code", "fund"}, fund...)...); code != 1 ||
		!strings.Contains(errOut, `organization "fund" exists: use org update`) {
		t.Errorf("second add: %d %s", code, errOut)
	}
	out = must(t, "org", "update", "--code", "fund", "--load-policy", "acquiring", "--signing-key", "-")
	if !strings.Contains(out, "load_policy:      acquiring") || !strings.Contains(out, "signs:            operator") ||
		!strings.Contains(out, "inn:              7701234560") {
		t.Errorf("org update:\n%s", out)
	}
	if out := must(t, "org", "update", "--code", "fund", "--approval-policy", "always"); !strings.Contains(out, "always") {
		t.Errorf("approval policy:\n%s", out)
	}
	if out := must(t, "org", "update", "--code", "fund", "--refund-cancellation", "auto"); !strings.Contains(out, "refunds:          auto") {
		t.Errorf("refund cancellation:\n%s", out)
	}
	if code, _, errOut := gispay(t, "org", "update", "--code", "fund", "--refund-cancellation", "maybe"); code != 1 ||
		!strings.Contains(errOut, `refund_cancellation`) {
		t.Errorf("a bad refund policy: %d %s", code, errOut)
	}
	if code, _, errOut := gispay(t, "org", "update", "--code", "fund", "--approval-policy", "sometimes"); code != 1 ||
		!strings.Contains(errOut, "sometimes") {
		t.Errorf("a bad approval policy: %d %s", code, errOut)
	}
	if code, _, errOut := gispay(t, "org", "update", "--code", "nope", "--name", "x"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("update of a missing org: %d %s", code, errOut)
	}
	out = must(t, "org", "list")
	if !regexp.MustCompile(`(?m)^fund\s+ufkr\s+acquiring\s+always\s+7701234560\s+770101001\s+Фонд$`).MatchString(out) ||
		!strings.Contains(out, "uk-dom") {
		t.Errorf("org list:\n%s", out)
	}
	if out := must(t, "org", "show", "uk-dom"); !strings.Contains(out, "kind:             uk_rso") {
		t.Errorf("org show:\n%s", out)
	}
}

// runs, payments, resend and the history, against Postgres.
func TestRunsPaymentsResend(t *testing.T) {
	e := setupLocal(t)
	runID, orders, ids := settled(t, e)
	checkRunsPaymentsResend(t, e, runID, orders, ids)
	var actor string
	e.Store.Pool.QueryRow(context.Background(), `SELECT actor FROM payment_resend WHERE payment_id = $1`, ids[orders[0]]).Scan(&actor)
	if actor != "alice" {
		t.Errorf("actor %q", actor)
	}
}

// checkRunsPaymentsResend runs the commands a settled run needs, and a
// resend carried out by the next run; it runs locally and through the
// admin Lambda alike.
func checkRunsPaymentsResend(t *testing.T, e *testkit.Env, runID int64, orders []string, ids map[string]string) {
	run := strconv.FormatInt(runID, 10)
	out := must(t, "runs", "list", "--org", "fund")
	if !regexp.MustCompile(`(?m)^` + run + `\s+fund\s+finished_with_errors\s+2026-11-21\s+\S+ \S+\s+\S+\s+imported=3 rejected=1 unknown=1\s+0\s+-$`).MatchString(out) {
		t.Errorf("runs list:\n%s", out)
	}
	out = must(t, "runs", "show", run)
	if !strings.Contains(out, "packages:   done=1") || !strings.Contains(out, "INT002000") || !strings.Contains(out, "ZZZ000001") {
		t.Errorf("runs show:\n%s", out)
	}
	out = must(t, "payments", "find", "--org", "fund", "--order", orders[2])
	if !regexp.MustCompile(`(?s)- → queued\s+packed by run ` + run + `.*queued → sent\s+package \d+ acknowledged by GIS.*sent → imported\s+getState of package \d+`).MatchString(out) {
		t.Errorf("payments find (imported):\n%s", out)
	}
	unknown, rejected := ids[orders[0]], ids[orders[1]]
	if code, _, errOut := gispay(t, "resend", "--reason", "the bank says so", unknown); code != 1 ||
		!strings.Contains(errOut, "is unknown: GIS may hold it") {
		t.Errorf("resend of unknown without confirmation: %d %s", code, errOut)
	}
	if code, _, errOut := gispay(t, "resend", "--reason", "x", ids[orders[2]]); code != 1 || !strings.Contains(errOut, "is imported: only error, rejected or unknown") {
		t.Errorf("resend of imported: %d %s", code, errOut)
	}
	out = must(t, "resend", "--reason", "checked GIS: nothing there", "--confirm-not-in-gis", unknown, rejected)
	if !strings.Contains(out, "payment "+unknown+": queued for the next run of fund") {
		t.Errorf("resend:\n%s", out)
	}
	// The next run takes both orders again, as attempt 2.
	e.Sim.FailItems(func(*etree.Element) (string, string) { return "", "" })
	next, pkgs := e.Packed(t, "fund", 3, 2)
	sendAndPoll(t, e, next, pkgs)
	out = must(t, "payments", "find", "--org", "fund", "--order", orders[0])
	if !regexp.MustCompile(`(?s)status imported  attempt 2.*sent → imported.*status rejected  attempt 1.*sent → unknown\s+getState of package \d+.*unknown → rejected\s+resend by \S+: checked GIS: nothing there`).MatchString(out) {
		t.Errorf("payments find after the resend:\n%s", out)
	}
	if out := must(t, "payments", "find", "--org", "fund", "--bill", "no-such-bill"); !strings.Contains(out, "no payments found") {
		t.Errorf("find nothing:\n%s", out)
	}
}

// An operator's cancellation of an imported payment is registered for the
// organisation's cancellation run; one of a payment that was never loaded
// is refused before GIS, with the reason.
func TestCancelRegisters(t *testing.T) {
	e := setupLocal(t)
	_, orders, ids := settled(t, e)
	out := must(t, "cancel", "--payment", ids[orders[2]], "--reason", "refund to the payer", "--json")
	if !strings.Contains(out, `"status":"requested"`) {
		t.Errorf("cancel of an imported payment:\n%s", out)
	}
	var status, comment string
	e.Store.Pool.QueryRow(context.Background(), `SELECT status, coalesce(comment, '') FROM cancellation WHERE source = 'admin'`).Scan(&status, &comment)
	if status != "requested" || comment != "refund to the payer" {
		t.Errorf("cancellation %s %q", status, comment)
	}
	out = must(t, "cancel", "--payment", ids[orders[0]], "--reason", "x", "--json")
	if !strings.Contains(out, `"status":"refused"`) {
		t.Errorf("cancel of a payment not loaded:\n%s", out)
	}
}

// What is not wired into this build says so, and rerun needs a state machine.
func TestUnwiredActions(t *testing.T) {
	setupLocal(t)
	for args, want := range map[string]string{
		"approve --run 99":                                   "run 99: not found",
		"cancel --payment 99 --reason refund":                "payment 99: not found",
		"rerun --org nope --from 2026-11-21":                 `organization "nope": not found`,
		"approve --run 0":                                    "run_id is required",
		"payments find --org fund":                           "one of order_id, bill, account are required",
		"cancel --org fund --reason x":                       "a payment id, or org and order id, are required",
		"runs show 99":                                       "run 99: not found",
		"org show a b":                                       "want one organisation code",
		"resend --reason x abc":                              `bad payment id "abc"`,
		"rerun --org fund --from 2026-11-22 --to 2026-11-21": "want from <= to",
	} {
		code, _, errOut := gispay(t, strings.Fields(args)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("gispay %s: exit %d, want %q in %s", args, code, want, errOut)
		}
	}
}

// The same commands through the admin Lambda: gispay invokes the real
// functions/admin binary behind lambdalocal's Invoke API, as it invokes the
// function in AWS with IAM.
func TestThroughTheAdminLambda(t *testing.T) {
	e := testkit.New(t, 0)
	bin := filepath.Join(t.TempDir(), "admin")
	if out, err := exec.Command("go", "build", "-o", bin, "../../functions/admin").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	logs, err := os.CreateTemp(t.TempDir(), "admin.log")
	if err != nil {
		t.Fatal(err)
	}
	lambdas := lambdalocal.New(lambdalocal.Function{Name: "gis-payments-admin", Path: bin,
		Env: []string{"DATABASE_URL=" + e.URL, "AWS_REGION=ru-central-1", "STATE_MACHINE_ARN="}})
	lambdas.Logs = logs
	addr, err := lambdas.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lambdas.Close)
	t.Setenv("DATABASE_URL", "") // nothing but the Lambda
	t.Setenv("GISPAY_FUNCTION", "arn:aws:lambda:ru-central-1:123456789012:function:gis-payments-admin")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", "http://"+addr)
	t.Setenv("AWS_REGION", "ru-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("GISPAY_ACTOR", "arn:aws:sts::123456789012:assumed-role/GisPaymentsAdmin/bob")

	if code, _, errOut := gispay(t, "org", "add", "--code", "x", "--name", "X", "--kind", "uk_rso", "--inn", "7701234561",
		"--org-ppa-guid", "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c"); code != 1 ||
		!strings.Contains(errOut, `InvalidInput: admin org.add: organization "x": inn "7701234561": check digit 10 is 1, want 0`) {
		t.Errorf("validation through the Lambda: %d %s", code, errOut)
	}
	runID, orders, ids := settled(t, e)
	if out := must(t, "org", "list"); !strings.Contains(out, "fund") {
		t.Errorf("org list:\n%s", out)
	}
	// the test organisation's requisites predate the checks: an update must mend them
	must(t, "org", "update", "--code", "fund", "--name", "Фонд капремонта", "--inn", "7701234560", "--account", "40702810200000000001")
	checkRunsPaymentsResend(t, e, runID, orders, ids)
	// approval goes through the approval step's Decide: a settled run is not waiting
	if code, _, errOut := gispay(t, "approve", "--run", runIDString(runID)); code != 1 || !strings.Contains(errOut, "not awaiting approval") {
		t.Errorf("approve: %d %s", code, errOut)
	}
	var actor string
	e.Store.Pool.QueryRow(context.Background(), `SELECT actor FROM payment_resend WHERE payment_id = $1`, ids[orders[0]]).Scan(&actor)
	if actor != "arn:aws:sts::123456789012:assumed-role/GisPaymentsAdmin/bob" {
		t.Errorf("actor %q", actor)
	}
	if log, _ := os.ReadFile(logs.Name()); !strings.Contains(string(log), `"action":"resend","actor":"arn:aws:sts::123456789012:assumed-role/GisPaymentsAdmin/bob"`) {
		t.Errorf("the function's log lacks the action and actor:\n%s", log)
	}
}

func runIDString(id int64) string { return strconv.FormatInt(id, 10) }
