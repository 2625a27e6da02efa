package reconciler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/s3store/s3test"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

const bucket = "exports"

type env struct {
	svc *reconciler.Service
	st  *postgres.Store
	s3  *s3test.Server
	org *postgres.Organization
}

func setup(t *testing.T) *env {
	st, _ := pgtest.New(t)
	org := pgtest.Organization(t, st, "uk-dom", "uk_rso")
	s3 := s3test.New(t, bucket)
	svc := &reconciler.Service{Store: st, Objects: s3.Store, ReportBucket: bucket, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	return &env{svc: svc, st: st, s3: s3, org: org}
}

// put uploads and registers an export, as the upload trigger does.
func (e *env) put(t *testing.T, kind exportcsv.Kind, key string, data []byte) reconciler.FileRef {
	etag := e.s3.Put(t, bucket, key, data)
	if _, _, err := e.st.RegisterFile(context.Background(), &postgres.SourceFile{OrganizationID: e.org.ID, Bucket: bucket,
		Key: key, ETag: etag, Kind: kind, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	return reconciler.FileRef{Bucket: bucket, Key: key, ETag: etag}
}

func testdata(t *testing.T, name string) []byte {
	data, err := os.ReadFile("../../testdata/exports/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestReconcileSampleExports(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv")),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv")),
	}}
	res, err := e.svc.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The sample holds: 5 matched (one on the 20th), one kopeck mismatch,
	// one billing-only, one acquiring-only.
	got, _ := json.Marshal(res)
	want := `"days":2,"billing_rows":7,"acquiring_rows":7,"matched":5,"mismatched":1,"billing_only":1,"acquiring_only":1,` +
		`"billing_sum":"12351992.09","acquiring_sum":"12352229.87","difference":"-237.78"` // checked by hand
	if !strings.Contains(string(got), want) {
		t.Fatalf("result %s\nwant %s", got, want)
	}
	csv := string(e.s3.Get(t, bucket, strings.TrimPrefix(res.ReportCSV, "s3://"+bucket+"/")))
	if strings.Count(csv, "\n") != 4 || !strings.Contains(csv, "2026-11-21;mismatch;ЕПД-000103;P02;ELEC;10010003;999,99;0,00;999,99;1000,00;0,00;1000,00;-0,01") {
		t.Errorf("CSV report:\n%s", csv)
	}
	html := string(e.s3.Get(t, bucket, strings.TrimPrefix(res.ReportHTML, "s3://"+bucket+"/")))
	if !strings.Contains(html, "<svg") || !strings.Contains(html, "ЕПД-000107") {
		t.Errorf("HTML report lacks the chart or a discrepancy")
	}
	// Re-running the step finds the run and writes nothing again.
	again, err := e.svc.Reconcile(ctx, req)
	if err != nil || again.RunID != res.RunID || !again.AlreadyDone {
		t.Fatalf("re-run: %+v, %v", again, err)
	}
	if rows := pgtest.Count(t, e.st, `SELECT count(*) FROM recon_row`); rows != 8 {
		t.Errorf("%d recon rows after a re-run, want 8", rows)
	}
	var status string
	e.st.Pool.QueryRow(ctx, `SELECT string_agg(DISTINCT status, ',') FROM source_file`).Scan(&status)
	if status != string(contract.FileReconciled) {
		t.Errorf("file statuses %s", status)
	}
}

// strict puts the organisation in strict mode: any bad row fails its file.
func (e *env) strict(t *testing.T) {
	rules := matcher.DefaultRules()
	rules.Strict = true
	e.org.Rules = &rules
	if _, err := e.st.UpsertOrganization(context.Background(), e.org); err != nil {
		t.Fatal(err)
	}
}

// In strict mode a bad row fails the run and its file, as before holds.
func TestBadExportFailsRunAndFile(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.strict(t)
	bad := exportcsv.AcquiringHeader +
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n" +
		"2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;ten;0\n"
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv")),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/bad.csv", []byte(bad)),
	}}
	_, err := e.svc.Reconcile(ctx, req)
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), `incoming/acquiring/uk-dom/bad.csv: line 3, column "main_sum": bad number "ten"`) {
		t.Fatalf("error = %v (%s)", err, steperr.KindOf(err))
	}
	f, _ := e.st.FileByKey(ctx, e.org.ID, bucket, "incoming/acquiring/uk-dom/bad.csv", "")
	b, _ := e.st.FileByKey(ctx, e.org.ID, bucket, "incoming/billing/uk-dom/b.csv", "")
	if f.Status != contract.FileFailed || len(f.Errors) != 1 || f.Errors[0].Line != 3 || b.Status != contract.FileRegistered {
		t.Errorf("bad file %s %v; good file %s", f.Status, f.Errors, b.Status)
	}
	var rows int
	var runStatus contract.RunStatus
	var runErr string
	e.st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM recon_row), status, error FROM run`).Scan(&rows, &runStatus, &runErr)
	if rows != 0 || runStatus != contract.RunFailed || !strings.Contains(runErr, "bad number") {
		t.Errorf("rows %d, run %s %q", rows, runStatus, runErr)
	}
	// Asking again is refused the same way, not retried into a half state.
	if _, err := e.svc.Reconcile(ctx, req); steperr.KindOf(err) != steperr.InvalidInput {
		t.Errorf("second attempt: %v", err)
	}
}

func TestPeriodMode(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"))
	e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"))
	res, err := e.svc.Reconcile(ctx, reconciler.Request{Org: "uk-dom", Period: &reconciler.Period{From: "2026-11-20", To: "2026-11-20"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Days != 1 || res.Matched != 1 || res.BillingRows != 1 || res.BillingSum != "100.00" {
		t.Fatalf("%+v", res)
	}
	// The next day is a different run over the same files.
	next, err := e.svc.Reconcile(ctx, reconciler.Request{Org: "uk-dom", Period: &reconciler.Period{From: "2026-11-21", To: "2026-11-21"}})
	if err != nil || next.RunID == res.RunID || next.Matched != 4 {
		t.Fatalf("%+v %v", next, err)
	}
}

func TestInvalidRequests(t *testing.T) {
	e := setup(t)
	for _, req := range []reconciler.Request{
		{Org: "nobody", Period: &reconciler.Period{From: "2026-11-21", To: "2026-11-21"}},
		{Org: "uk-dom"},
		{Org: "uk-dom", Period: &reconciler.Period{From: "2026-11-22", To: "2026-11-21"}},
		{Org: "uk-dom", Files: []reconciler.FileRef{{Bucket: bucket, Key: "incoming/billing/uk-dom/missing.csv"}}},
	} {
		if _, err := e.svc.Reconcile(context.Background(), req); steperr.KindOf(err) != steperr.InvalidInput {
			t.Errorf("%+v: error %v, want invalid input", req, err)
		}
	}
}

// A period without exports is its own error, which the state machine ends
// quietly with a notice (a day without exports is no failure).
func TestNoExportsIsItsOwnError(t *testing.T) {
	e := setup(t)
	_, err := e.svc.Reconcile(context.Background(), reconciler.Request{Org: "uk-dom", Period: &reconciler.Period{From: "2026-11-21", To: "2026-11-21"}})
	if steperr.KindOf(err) != steperr.NoExports {
		t.Errorf("error %v, want NoExports", err)
	}
}

// An upload whose S3 event never reached the trigger (parked on the
// failure queue, or dropped) is still found by the daily run: it lists the
// organisation's incoming/ folders and registers what no event did, through
// the trigger's own header check, before resolving the day's files.
func TestDailyRunFindsUploadsWithoutEvents(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.svc.Uploads = &uploadtrigger.Service{Store: e.st, Objects: e.s3.Store, Log: e.svc.Log}
	e.svc.IncomingBucket = bucket
	e.svc.Clock = clock.At(time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC))
	// The billing export came with its event; the registry's event was lost.
	e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"))
	e.s3.Put(t, bucket, "incoming/acquiring/uk-dom/реестр 21.11.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"))
	// So was the event of a file with a bad header: registered failed, left out.
	e.s3.Put(t, bucket, "incoming/acquiring/uk-dom/short.csv", []byte("date;order_id\n"))

	daily := reconciler.Request{Org: "uk-dom", Period: &reconciler.Period{PreviousDay: true}}
	res, err := e.svc.Reconcile(ctx, daily)
	if err != nil {
		t.Fatal(err)
	}
	if res.Days != 1 || res.Matched != 4 || res.AcquiringRows != 6 {
		t.Fatalf("daily run %+v, want the 21st reconciled against the registry no event registered", res)
	}
	short, err := e.st.FileByKey(ctx, e.org.ID, bucket, "incoming/acquiring/uk-dom/short.csv", "")
	if err != nil || short.Status != contract.FileFailed || len(short.Errors) == 0 {
		t.Fatalf("the bad header: %+v %v, want registered failed", short, err)
	}
	// Asked again, it registers nothing twice and finds the same run.
	again, err := e.svc.Reconcile(ctx, daily)
	if err != nil || again.RunID != res.RunID || !again.AlreadyDone {
		t.Fatalf("again: %+v %v", again, err)
	}
	if files := pgtest.Count(t, e.st, `SELECT count(*) FROM source_file`); files != 3 {
		t.Errorf("%d files registered, want 3", files)
	}
}

// A day whose total is past what numeric(15,2) holds (each amount fits) is
// refused as invalid input naming the day, and the run is failed, not left
// `created` behind an unlocated InternalError from Postgres.
func TestTotalBeyondStorageFailsRun(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	var b, a strings.Builder
	b.WriteString(exportcsv.BillingHeader)
	a.WriteString(exportcsv.AcquiringHeader)
	for i := range 6 {
		fmt.Fprintf(&b, "2026-11-21;B%d;S1;SV1;LS1;999999999999.99;999999999999.99\n", i)
		fmt.Fprintf(&a, "2026-11-21;O%d;2026-11-21;B%d;S1;SV1;LS1;1;0\n", i, i)
	}
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/big.csv", []byte(b.String())),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", []byte(a.String())),
	}}
	_, err := e.svc.Reconcile(ctx, req)
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), "2026-11-21") || !strings.Contains(err.Error(), "billing") {
		t.Fatalf("error = %v (%s), want invalid input naming the day and the side", err, steperr.KindOf(err))
	}
	var status contract.RunStatus
	var reason string
	var rows int
	e.st.Pool.QueryRow(ctx, `SELECT status, coalesce(error, ''), (SELECT count(*) FROM recon_row) FROM run`).Scan(&status, &reason, &rows)
	if status != contract.RunFailed || !strings.Contains(reason, "2026-11-21") || rows != 0 {
		t.Errorf("run %s %q with %d rows, want failed with the reason and no rows", status, reason, rows)
	}
}

// A single amount past what the database holds is an error located at its
// file, line and column.
func TestAmountBeyondStorageIsLocated(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	e.strict(t)
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", []byte(exportcsv.BillingHeader+
			"2026-11-21;B1;S1;SV1;LS1;1;0\n2026-11-21;B2;S1;SV1;LS1;1;99999999999999.99\n")),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", []byte(exportcsv.AcquiringHeader+
			"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0\n")),
	}}
	_, err := e.svc.Reconcile(ctx, req)
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), `incoming/billing/uk-dom/b.csv: line 3, column "fine_sum"`) {
		t.Fatalf("error = %v (%s)", err, steperr.KindOf(err))
	}
}

// A bad row is held with its reason and the rest of the file proceeds; a
// refund is stored for cancellation, never as a payment; a repeated key
// paid in two parts is a split match. All of it shows in the counts, the
// recon rows and the report.
func TestRowsHeldRefundsAndSplits(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	var billing, bank strings.Builder
	billing.WriteString(exportcsv.BillingHeader)
	bank.WriteString(strings.TrimSuffix(exportcsv.AcquiringHeader, "\n") + ";operation_type\n")
	for i := range 200 {
		fmt.Fprintf(&billing, "2026-11-21;B%d;S1;SV1;LS1;10;0\n", i)
		fmt.Fprintf(&bank, "2026-11-21;O%d;2026-11-21;B%d;S1;SV1;LS1;10;0;оплата\n", i, i)
	}
	billing.WriteString("2026-11-21;W1;S1;SV1;LS1;100;5\n")                   // paid in two parts
	billing.WriteString("2026-11-21;;S1;SV1;LS1;1;0\n")                       // empty key field: held
	bank.WriteString("2026-11-21;OW1;2026-11-21;W1;S1;SV1;LS1;100;0;\n")      // water
	bank.WriteString("2026-11-21;OW2;2026-11-21;W1;S1;SV1;LS1;5;0;\n")        // then the fine
	bank.WriteString("2026-11-21;OB;2026-11-21;B7;S1;SV1;LS1;1O,00;0;\n")     // bad number: held
	bank.WriteString("2026-11-21;O3;2026-11-21;B3;S1;SV1;LS1;10;0;Возврат\n") // refund of O3
	req := reconciler.Request{Org: "uk-dom", Files: []reconciler.FileRef{
		e.put(t, exportcsv.Billing, "incoming/billing/uk-dom/b.csv", []byte(billing.String())),
		e.put(t, exportcsv.Acquiring, "incoming/acquiring/uk-dom/a.csv", []byte(bank.String())),
	}}
	res, err := e.svc.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 202 || res.Held != 2 || res.Refunds != 1 || res.RefundSum != "10.00" || res.BillingRows != 201 || res.AcquiringRows != 202 {
		t.Fatalf("result %+v", res)
	}
	for status, want := range map[string]int{"check": 200, "check_split": 2, "held": 2, "refund": 1} {
		if n := pgtest.Count(t, e.st, `SELECT count(*) FROM recon_row WHERE status = $1`, status); n != want {
			t.Errorf("%d %s rows, want %d", n, status, want)
		}
	}
	var order, amount string
	e.st.Pool.QueryRow(ctx, `SELECT order_id, (acquiring_main + acquiring_fine)::text FROM recon_row WHERE status = 'refund'`).Scan(&order, &amount)
	if order != "O3" || amount != "10.00" {
		t.Errorf("refund stored as %s %s", order, amount)
	}
	csv := string(e.s3.Get(t, bucket, strings.TrimPrefix(res.ReportCSV, "s3://"+bucket+"/")))
	for _, want := range []string{
		`held;;S1;SV1;LS1;1,00;0,00;1,00;;;;1,00;;incoming/billing/uk-dom/b.csv:203;;"incoming/billing/uk-dom/b.csv: line 203, column ""bill_number"": empty value"`,
		`held;B7;S1;SV1;LS1;;;;;;;0,00;OB;;incoming/acquiring/uk-dom/a.csv:204;"incoming/acquiring/uk-dom/a.csv: line 204, column ""main_sum"": bad number ""1O,00"": not a number"`,
		"2026-11-21;refund;B3;S1;SV1;LS1;;;;10,00;0,00;10,00;-10,00;O3;;incoming/acquiring/uk-dom/a.csv:205;",
		"2026-11-21;check_split;W1;S1;SV1;LS1;100,00;5,00;105,00;5,00;0,00;5,00;100,00;OW2",
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV report lacks\n%s\nin\n%s", want, csv)
		}
	}
}
