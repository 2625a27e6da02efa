package packer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

func setup(t *testing.T) *testkit.Env { return testkit.New(t, 0) }

// reconciled is a kit with organisation org1 of kind and its reconciled
// run of rows payments (export seed seed).
func reconciled(t *testing.T, kind string, rows int, seed uint64) (*testkit.Env, int64) {
	e := setup(t)
	pgtest.Organization(t, e.Store, "org1", kind)
	return e, e.Reconciled(t, "org1", rows, seed)
}

// failArchiving packs runID with the archive bucket missing: the step
// fails after storing the packages and their GUIDs, and signs none.
func failArchiving(t *testing.T, e *testkit.Env, runID int64) {
	t.Helper()
	e.Pack.ArchiveBucket = "no-such-bucket"
	defer func() { e.Pack.ArchiveBucket = testkit.Archive }()
	if _, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID}); err == nil {
		t.Fatal("packing into a missing bucket succeeded")
	}
}

func TestPackageSizes(t *testing.T) {
	tests := []struct {
		kind     string
		payments int
		packages []int
	}{
		{"uk_rso", 1, []int{1}},
		{"uk_rso", 250, []int{250}},
		{"uk_rso", 251, []int{250, 1}},
		{"uk_rso", 500, []int{250, 250}},
		{"uk_rso", 501, []int{250, 250, 1}},
		{"ufkr", 1, []int{1}},
		{"ufkr", 500, []int{500}},
		{"ufkr", 501, []int{500, 1}},
	}
	payment, xsdErr := xsdcheck.New(xsdcheck.PaymentTypes)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.kind, tt.payments), func(t *testing.T) {
			ctx := context.Background()
			e, runID := reconciled(t, tt.kind, tt.payments, 1)
			res, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
			if err != nil {
				t.Fatal(err)
			}
			if res.Payments != tt.payments || res.HeldBack != 0 || len(res.PackageIDs) != len(tt.packages) {
				t.Fatalf("result %+v", res)
			}
			pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
			guids := map[string]bool{}
			for i, p := range pkgs {
				if p.Payments != tt.packages[i] || p.Status != contract.PackageSigned || p.RequestKey != packer.ArchiveKey(p) ||
					p.Operation != string(packer.Operation(tt.kind)) {
					t.Errorf("package %d: %+v", i, p)
				}
				doc := etree.NewDocument()
				if err := doc.ReadFromBytes(e.S3.Get(t, testkit.Archive, p.RequestKey)); err != nil {
					t.Fatal(err)
				}
				req := doc.FindElement("//soapenv:Body/*")
				if err := testkit.Verify(req); err != nil {
					t.Errorf("package %d signature: %v", p.ID, err)
				}
				if xsdErr == nil {
					if err := payment.Element(req); err != nil {
						t.Errorf("package %d: %v", p.ID, err)
					}
				}
				if got := doc.FindElement("//base:MessageGUID").Text(); got != p.MessageGUID {
					t.Errorf("header MessageGUID %s, package %s", got, p.MessageGUID)
				}
				for _, g := range doc.FindElements("//base:TransportGUID") {
					guids[g.Text()] = true
				}
			}
			if len(guids) != tt.payments {
				t.Errorf("%d distinct TransportGUIDs for %d payments", len(guids), tt.payments)
			}
		})
	}
}

// Packages are marked signed in batches: every one of a run of more than
// a batch ends signed, with the key its archived request is stored under.
func TestEveryArchivedPackageIsMarkedSigned(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "uk_rso", 150, 4)
	e.Pack.PackageSize = 1
	if _, err := e.Pack.Pack(ctx, packer.Request{RunID: runID}); err != nil {
		t.Fatal(err)
	}
	pkgs, err := e.Store.PackagesOfRun(ctx, runID)
	if err != nil || len(pkgs) != 150 {
		t.Fatalf("%d packages, %v", len(pkgs), err)
	}
	for _, p := range pkgs {
		if p.Status != contract.PackageSigned || p.RequestKey != packer.ArchiveKey(p) {
			t.Fatalf("package %d: %s, key %q", p.ID, p.Status, p.RequestKey)
		}
		if len(e.S3.Get(t, testkit.Archive, p.RequestKey)) == 0 {
			t.Fatalf("package %d: nothing archived", p.ID)
		}
	}
}

// Running the step again creates no package, payment or TransportGUID.
func TestRepackIsIdempotent(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "uk_rso", 300, 2)
	first, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.Store, runID)
	again, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Resumed || again.Signed != 0 || fmt.Sprint(again.PackageIDs) != fmt.Sprint(first.PackageIDs) {
		t.Errorf("second pack %+v, first %+v", again, first)
	}
	if after := snapshot(t, e.Store, runID); after != before {
		t.Errorf("payments changed:\n%s\n%s", before, after)
	}
}

// snapshot lists a run's payments with their GUIDs and packages.
func snapshot(t *testing.T, st *postgres.Store, runID int64) string {
	var s string
	if err := st.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(order_id || transport_guid::text || package_id, ',' ORDER BY id), '')
		FROM payment WHERE run_id = $1`, runID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A failure after the GUIDs are stored (here: the archive bucket is
// missing) is finished by the next attempt with the same GUIDs.
func TestResumeAfterFailure(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "ufkr", 700, 3)
	failArchiving(t, e, runID)
	before := snapshot(t, e.Store, runID)
	if before == "" {
		t.Fatal("no payments stored before the XML")
	}
	res, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Signed != 2 || res.Payments != 700 {
		t.Errorf("resumed %+v", res)
	}
	if after := snapshot(t, e.Store, runID); after != before {
		t.Error("the retry changed the payments")
	}
}

func TestHeldBackAndAlreadyLoaded(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	org := pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	// Neither payment_document_id nor gis_service_id: a supplier's payment cannot be placed.
	acq := "date;order_id;order_date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum;gis_service_id\n" +
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0;\n" +
		"2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;20;0;12АБ345678-01\n"
	bill := exportcsv.BillingHeader +
		"2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-21;B2;S1;SV1;LS1;20;0\n"
	refs := e.Upload(t, org.Code, "f", bill, acq)
	r1, err := e.Recon.Reconcile(ctx, reconciler.Request{Org: "uk1", Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Pack.Pack(ctx, packer.Request{RunID: r1.RunID})
	if err != nil || res.Payments != 1 || res.HeldBack != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	var reason string
	e.Store.Pool.QueryRow(ctx, `SELECT hold_reason FROM recon_row WHERE order_id = 'O1'`).Scan(&reason)
	if !strings.Contains(reason, "neither payment_document_id nor gis_service_id") {
		t.Errorf("hold reason %q", reason)
	}
	// The daily run over the same day finds O2 queued by the first run and sends nothing twice.
	r2, err := e.Recon.Reconcile(ctx, reconciler.Request{Org: "uk1", Period: &reconciler.Period{From: "2026-11-21", To: "2026-11-21"}})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := e.Pack.Pack(ctx, packer.Request{RunID: r2.RunID})
	if err != nil || res2.Payments != 0 || res2.AlreadyLoaded != 1 || res2.HeldBack != 1 || len(res2.PackageIDs) != 0 {
		t.Fatalf("%+v %v", res2, err)
	}
	run, _ := e.Store.RunByID(ctx, r2.RunID)
	if run.Status != contract.RunFinishedWithErrors {
		t.Errorf("run status %s", run.Status)
	}
}

// A run's payments are planned by day, then by recon row, whatever order
// the rows are read in: the first row, written again, comes last.
func TestPaymentsArePlannedByDay(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	org := pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	acq := "date;order_id;order_date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum;gis_service_id\n"
	bill := exportcsv.BillingHeader
	for i, day := range []string{"2026-11-20", "2026-11-20", "2026-11-21", "2026-11-21"} {
		acq += fmt.Sprintf("%s;O%d;%s;B%d;S1;SV1;LS1;1%d;0;12АБ345678-01\n", day, i, day, i, i)
		bill += fmt.Sprintf("%s;B%d;S1;SV1;LS1;1%d;0\n", day, i, i)
	}
	refs := e.Upload(t, org.Code, "f", bill, acq)
	r, err := e.Recon.Reconcile(ctx, reconciler.Request{Org: "uk1", Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Pool.Exec(ctx, `WITH d AS (DELETE FROM recon_row WHERE run_id = $1 AND order_id = 'O0' RETURNING *)
		INSERT INTO recon_row SELECT * FROM d`, r.RunID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Pack.Pack(ctx, packer.Request{RunID: r.RunID}); err != nil {
		t.Fatal(err)
	}
	var planned, byDay string
	if err := e.Store.Pool.QueryRow(ctx, `SELECT string_agg(r.order_id, ',' ORDER BY p.id), string_agg(r.order_id, ',' ORDER BY r.day, r.id)
		FROM payment p JOIN recon_row r ON r.id = p.recon_row_id WHERE p.run_id = $1`, r.RunID).Scan(&planned, &byDay); err != nil {
		t.Fatal(err)
	}
	if planned != byDay || !strings.HasPrefix(planned, "O0,O1,") {
		t.Errorf("planned %s, by day %s", planned, byDay)
	}
}

func TestInvalidRequests(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	org := pgtest.Organization(t, e.Store, "fkr", "ufkr")
	for _, id := range []int64{0, 999} {
		if _, err := e.Pack.Pack(ctx, packer.Request{RunID: id}); steperr.KindOf(err) != steperr.InvalidInput {
			t.Errorf("run %d: %v", id, err)
		}
	}
	// A fund without bank requisites cannot send bank notifications.
	runID := e.Reconciled(t, "fkr", 3, 4)
	org.BankBIK = ""
	if _, err := e.Store.UpsertOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	_, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), "bank requisites") {
		t.Errorf("%v", err)
	}
	if payments := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment`); payments != 0 {
		t.Errorf("%d payments stored for a refused run", payments)
	}
}

// A run that failed after its packages were stored but before they were
// signed leaves them to the organisation's next packer, which signs them
// with their stored GUIDs; the payments never get a second package.
func TestNextRunSignsStrandedPackages(t *testing.T) {
	ctx := context.Background()
	e, failed := reconciled(t, "ufkr", 700, 3)
	failArchiving(t, e, failed)
	if err := e.Store.RecordRunFailure(ctx, failed, "States.TaskFailed: the packer gave up"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.Store, failed)
	res, err := e.Pack.Pack(ctx, packer.Request{RunID: e.Reconciled(t, "org1", 5, 4)})
	if err != nil || res.Adopted != 2 || res.Payments != 5 {
		t.Fatalf("next run: %+v %v", res, err)
	}
	if after := snapshot(t, e.Store, failed); after != before {
		t.Error("signing changed the stranded payments")
	}
	pkgs, _ := e.Store.PackagesOfRun(ctx, failed)
	for _, p := range pkgs {
		if p.Status != contract.PackageSigned {
			t.Errorf("package %d %s", p.ID, p.Status)
		}
	}
}
