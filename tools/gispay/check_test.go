package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/exportgen"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// generated writes a generated pair with a known mix of outcomes, plus a
// payment in two parts, a refund and a bad row on each side.
func generated(t *testing.T) (billing, acquiring []byte) {
	var b, a bytes.Buffer
	spec := exportgen.Spec{Rows: 2000, Days: 3, Last: calendar.FromYMD(2026, 11, 21), Seed: 7, Mismatch: 0.02, OneSided: 0.02}
	if _, err := exportgen.Write(spec, &b, &a); err != nil {
		t.Fatal(err)
	}
	b.WriteString("2026-11-21;X1;S001;SV01;12345678;100,00;5,00\n")        // paid in two parts below
	b.WriteString("2026-11-31;X2;S001;SV01;12345678;1,00;0\n")             // bad date: held
	for i, amount := range []string{"100,00", "5,00", "-40,00", "4O,00"} { // water, the fine, a refund, a bad number (held)
		fmt.Fprintf(&a, "21.11.2026;%032x;21.11.2026;X%d;S001;SV01;12345678;%s;0,00;0000000001-01;11.2026;\"Оплата\"\n",
			0xfeed00+i, min(i+1, 1)+i/2, amount)
	}
	return b.Bytes(), a.Bytes()
}

func runGispay(t *testing.T, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := dispatch(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// The reconciler, the packer and the results file agree with `gispay
// check` on the same files.
func TestCheckAgreesWithThePipeline(t *testing.T) {
	ctx := context.Background()
	billing, acquiring := generated(t)
	dir := t.TempDir()
	bp, ap := filepath.Join(dir, "billing.csv"), filepath.Join(dir, "acquiring.csv")
	os.WriteFile(bp, billing, 0o600)
	os.WriteFile(ap, acquiring, 0o600)

	e := testkit.New(t, 0)
	org := pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	t.Setenv("DATABASE_URL", e.URL)
	out, stderr, code := runGispay(t, "check", bp, ap, "--org", "uk1", "--json")
	if code != exitOK {
		t.Fatalf("gispay check: exit %d\n%s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 8 {
		t.Fatalf("gispay check --json printed %s (%v): want exactly eight keys", out, err)
	}
	var check totals
	json.Unmarshal([]byte(out), &check)

	var refs []reconciler.FileRef
	for _, f := range []struct {
		kind exportcsv.Kind
		data []byte
	}{{exportcsv.Billing, billing}, {exportcsv.Acquiring, acquiring}} {
		key := "incoming/" + string(f.kind) + "/uk1/x.csv"
		etag := e.S3.Put(t, testkit.Exports, key, f.data)
		if _, _, err := e.Store.RegisterFile(ctx, &postgres.SourceFile{OrganizationID: org.ID, Bucket: testkit.Exports,
			Key: key, ETag: etag, Kind: f.kind}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, reconciler.FileRef{Bucket: testkit.Exports, Key: key, ETag: etag})
	}
	rec, err := e.Recon.Reconcile(ctx, reconciler.Request{Org: "uk1", Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	want := totals{RowsBilling: rec.BillingRows, RowsAcquiring: rec.AcquiringRows, MatchTotals: rec.MatchTotals}
	if check != want {
		t.Fatalf("gispay check %+v\nreconciler    %+v", check, want)
	}
	if rec.Held != 2 || rec.Refunds != 1 || check.Matched < 1900 {
		t.Fatalf("reconciler: %+v", rec)
	}

	pack, err := e.Pack.Pack(ctx, packer.Request{RunID: rec.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if pack.Payments != check.Matched || pack.HeldBack != 0 {
		t.Fatalf("packer: %d payments, %d held back; gispay check: %d matched", pack.Payments, pack.HeldBack, check.Matched)
	}
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: pack.PackageIDs}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(3 * time.Minute)
	if _, err := e.Poll.Poll(ctx, poller.Request{RunID: rec.RunID}); err != nil {
		t.Fatal(err)
	}
	results := string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(rec.RunID)))
	if n := strings.Count(results, ";imported;"); n != check.Matched {
		t.Errorf("results file: %d imported, gispay check: %d matched", n, check.Matched)
	}
	if n := strings.Count(results, ";held;"); n != rec.Held {
		t.Errorf("results file: %d held rows, want %d", n, rec.Held)
	}
	if !strings.Contains(results, `column ""date"": bad date ""2026-11-31""`) {
		t.Errorf("results file lacks the held billing row:\n%s", results[strings.Index(results, ";held;")-80:])
	}
}

func TestCheckPrintsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bp, ap := filepath.Join(dir, "b.csv"), filepath.Join(dir, "a.csv")
	os.WriteFile(bp, []byte(exportcsv.BillingHeader+"2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-21;B2;S1;SV1;LS1;x;0\n2026-11-21;;S1;SV1;LS1;1;0\n"), 0o600)
	os.WriteFile(ap, []byte(exportcsv.AcquiringHeader+"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-21;O2;2026-11-21;B3;S1;SV1;LS1;-3;0\n"), 0o600)
	// Two bad rows of three are over the default 1% (one row, rounded up): the file is refused, every row located.
	_, stderr, code := runGispay(t, "check", bp, ap)
	if code != exitProblems || !strings.Contains(stderr, bp+`: line 3, column "main_sum": bad number "x"`) ||
		!strings.Contains(stderr, bp+`: line 4, column "bill_number": empty value`) || !strings.Contains(stderr, "2 of 3 rows have problems") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// A header problem is a file-level error too.
	os.WriteFile(bp, []byte("date;bill_number\n"), 0o600)
	if _, stderr, code := runGispay(t, "check", bp, ap, "--json"); code != exitProblems || !strings.Contains(stderr, "missing column") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"check", bp}, {"nosuch"}, {}} {
		if _, _, code := runGispay(t, args...); code != exitUsage {
			t.Errorf("gispay %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestCheckListsHeldRowsAndRefunds(t *testing.T) {
	dir := t.TempDir()
	bp, ap := filepath.Join(dir, "b.csv"), filepath.Join(dir, "a.csv")
	var b strings.Builder
	b.WriteString(exportcsv.BillingHeader)
	for i := range 200 {
		fmt.Fprintf(&b, "2026-11-21;B%d;S1;SV1;LS1;10;0\n", i)
	}
	b.WriteString("2026-11-21;B9;S1;;LS1;10;0\n")
	os.WriteFile(bp, []byte(b.String()), 0o600)
	os.WriteFile(ap, []byte(exportcsv.AcquiringHeader+"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-21;O2;2026-11-21;B3;S1;SV1;LS1;-3;0\n"), 0o600)
	out, stderr, code := runGispay(t, "check", bp, ap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"held rows: 1; refunds: 1 (3.00)", `held: ` + bp + `: line 202, column "service_id": empty value`,
		"refund, a candidate for cancellation: line 3, order O2, 3.00", "total"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
