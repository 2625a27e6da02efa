package packer_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xades"
)

// A package's request built from the plan, as the packer signs it while
// the payments are stored, is byte for byte the one built from the
// stored rows for the same header: with payments retried from an earlier
// run (their recon rows are that run's) and rows held back by the plan.
func TestPlannedRequestIsTheStoredOne(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	first, _ := e.Packed(t, "org1", 6, 1)
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE payment SET status = 'error', error = 'EXP001000'
		WHERE id IN (SELECT id FROM payment WHERE run_id = $1 ORDER BY id LIMIT 3)`, first); err != nil {
		t.Fatal(err)
	}
	runID := e.Reconciled(t, "org1", 250, 2)
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE recon_row SET payment_document_id = NULL, gis_service_id = NULL
		WHERE id IN (SELECT id FROM recon_row WHERE run_id = $1 ORDER BY id LIMIT 2)`, runID); err != nil {
		t.Fatal(err)
	}
	e.Pack.PackageSize = 100
	var planned []postgres.PlannedPackage
	var org *postgres.Organization
	packing, err := e.Store.PreparePackages(ctx, runID, e.Pack.Plan, &postgres.Presign{
		Fixed: func(o *postgres.Organization, p []postgres.PlannedPackage) { org, planned = o, p }})
	if err != nil {
		t.Fatal(err)
	}
	if packing.Retried != 3 || packing.Held != 2 || len(planned) != 3 {
		t.Fatalf("packing %+v, %d packages planned", packing, len(planned))
	}
	stored, err := e.Store.PackagesOfRun(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	for i, pp := range planned {
		hdr := gismessage.Header{Date: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), MessageGUID: pp.MessageGUID, OrgPPAGUID: org.OrgPPAGUID}
		fromPlan, err := packer.BuildPlanned(org, &pp, hdr)
		if err != nil {
			t.Fatal(err)
		}
		fromRows, err := e.Pack.BuildImport(ctx, org, stored[i], hdr)
		if err != nil {
			t.Fatal(err)
		}
		a, b := written(t, fromPlan), written(t, fromRows)
		if pp.ID != stored[i].ID || a != b {
			t.Errorf("package %d (stored %d): the plan's request differs from the stored rows':\n%s\n%s", pp.ID, stored[i].ID, a, b)
		}
	}
}

// written is m's document with its items, unsigned.
func written(t *testing.T, m *gismessage.Message) string {
	doc, _, err := m.Tree()
	if err != nil {
		t.Fatal(err)
	}
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gate holds the storing of a run's payments (a statement trigger waits
// for an advisory lock the test holds) until the signer has signed a
// package, so signing during the transaction is certain, not a race.
type gate struct {
	conn *pgxpool.Conn
	key  int64
	once sync.Once
}

// newGate installs the trigger; fail makes it refuse the payments once
// let through, so the transaction rolls back.
func newGate(t *testing.T, e *testkit.Env, fail bool) *gate {
	ctx := context.Background()
	var b [8]byte
	rand.Read(b[:])
	g := &gate{key: int64(binary.LittleEndian.Uint64(b[:]) >> 1)}
	end := "RETURN NULL;"
	if fail {
		end = "RAISE EXCEPTION 'payments refused by the test';"
	}
	if _, err := e.Store.Pool.Exec(ctx, `CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_advisory_xact_lock(`+strconv.FormatInt(g.key, 10)+`); `+end+` END $$;
		CREATE TRIGGER test_gate BEFORE INSERT ON payment FOR EACH STATEMENT EXECUTE FUNCTION test_gate()`); err != nil {
		t.Fatal(err)
	}
	var err error
	if g.conn, err = e.Store.Pool.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.open)
	if _, err := g.conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, g.key); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *gate) open() {
	g.once.Do(func() {
		g.conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, g.key)
		g.conn.Release()
	})
}

// gatedSigner signs with the real signer, notes whether the run's
// packages were committed yet (seen from outside the transaction), and
// opens the gate after its first signature.
type gatedSigner struct {
	inner packer.Signer
	gate  *gate
	store *postgres.Store
	runID int64

	mu            sync.Mutex
	values        []string
	beforeCommits int
}

func (s *gatedSigner) SignContent(el *etree.Element, content []byte) (*xades.Reference, error) {
	ref, err := s.inner.SignContent(el, content)
	if err != nil {
		return nil, err
	}
	var visible int
	if err := s.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM package WHERE run_id = $1`, s.runID).Scan(&visible); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.values = append(s.values, el.FindElement(".//ds:SignatureValue").Text())
	if visible == 0 {
		s.beforeCommits++
	}
	s.mu.Unlock()
	s.gate.open()
	return ref, nil
}

// Packages signed while their payments are stored are archived with
// those very bytes once the transaction has committed, and not signed
// again: every package gets one signature, some of them made before the
// commit.
func TestPresignedPackagesAreArchivedAsSigned(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "uk_rso", 600, 5) // three packages
	signer := &gatedSigner{inner: e.Pack.Signer, gate: newGate(t, e, false), store: e.Store, runID: runID}
	e.Pack.Signer = signer
	res, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil || res.Signed != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if signer.beforeCommits == 0 || len(signer.values) != 3 {
		t.Fatalf("%d signatures, %d of them before the commit", len(signer.values), signer.beforeCommits)
	}
	signed := map[string]bool{}
	for _, v := range signer.values {
		signed[v] = true
	}
	pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
	for _, p := range pkgs {
		if p.Status != contract.PackageSigned {
			t.Errorf("package %d %s", p.ID, p.Status)
			continue
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(e.S3.Get(t, testkit.Archive, p.RequestKey)); err != nil {
			t.Fatal(err)
		}
		if v := doc.FindElement("//ds:SignatureValue").Text(); !signed[v] {
			t.Errorf("package %d archived with a signature the signer did not make", p.ID)
		}
	}
}

// A transaction that fails after packages were signed from its plan
// leaves nothing: no package, no payment, no archived request.
func TestPresignedPackagesOfAFailedTransactionAreDropped(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "uk_rso", 600, 6)
	signer := &gatedSigner{inner: e.Pack.Signer, gate: newGate(t, e, true), store: e.Store, runID: runID}
	e.Pack.Signer = signer
	if _, err := e.Pack.Pack(ctx, packer.Request{RunID: runID}); err == nil {
		t.Fatal("packing succeeded though its payments were refused")
	}
	if len(signer.values) == 0 {
		t.Fatal("nothing was signed during the transaction")
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM package WHERE run_id = $1`, runID) +
		pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1`, runID); n != 0 {
		t.Errorf("%d packages and payments stored", n)
	}
	var archived []string
	if err := e.S3.Store.List(ctx, testkit.Archive, "", func(o s3store.Object) error {
		archived = append(archived, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 0 {
		t.Errorf("archived: %v", archived)
	}
}
