// Package testkit assembles the whole pipeline for tests out of real
// parts: Postgres (a schema per test), an S3 API over HTTP (gofakes3), the
// GIS simulator over HTTP on a manual clock, a throwaway GOST key, and the
// step services wired as the functions wire them.
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/exportgen"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/s3store/s3test"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/wiring"
	"github.com/gispayments/gis-payments/internal/xades"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

// Buckets the kit creates.
const (
	Exports = "exports"
	Archive = "archive"
)

// Env is a pipeline on real parts.
type Env struct {
	Store  *postgres.Store
	URL    string // the store's database URL (its own schema)
	S3     *s3test.Server
	Sim    *gissim.Sim
	GISURL string
	Clock  *clock.Manual
	GIS    *gisclient.Client
	Log    *slog.Logger
	// App builds the step services as the functions do, from the default
	// configuration and these parts.
	App   *wiring.App
	Recon *reconciler.Service
	Pack  *packer.Service
	Send  *sender.Service
	Poll  *poller.Service
}

var (
	keyOnce sync.Once
	key     *xades.Key
	keyErr  error
)

// Key is a throwaway GOST R 34.10-2012 key, made once per test binary.
func Key(t testing.TB) *xades.Key {
	keyOnce.Do(func() { key, keyErr = xades.GenerateTestKey() })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return key
}

// Verify checks a signed element as GIS would.
func Verify(el *etree.Element) error {
	_, err := xades.Verify(el)
	return err
}

// New builds the pipeline. GIS moves a message to state 2 after a minute
// and to 3 after another; the client times out after timeout (0: 5 s).
func New(t testing.TB, timeout time.Duration) *Env {
	t.Helper()
	st, url := pgtest.New(t)
	s3 := s3test.New(t, Exports, Archive)
	// The clock starts at the real time so that it agrees with the
	// database's now() on the moments the database stamps itself.
	clk := clock.NewManual(time.Now())
	cfg := gissim.Config{Clock: clk.Now, ReceivedFor: time.Minute, ProcessingFor: time.Minute, Verify: Verify}
	if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
		cfg.Validate = v.Element
	}
	sim := gissim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	a := &wiring.App{Config: config.Default(), GIS: config.DefaultGIS(), Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Store: st, Objects: s3.Store, Signer: &xades.Signer{Key: Key(t)}, Metrics: io.Discard, Clock: clk.Now}
	a.Config.ExportsBucket, a.Config.ArchiveBucket = Exports, Archive
	a.GIS.Client.Endpoint, a.GIS.Client.Timeout = srv.URL, 5*time.Second
	if timeout > 0 {
		a.GIS.Client.Timeout = timeout
	}
	gis, err := gisclient.New(a.GIS.Client)
	if err != nil {
		t.Fatal(err)
	}
	a.GISClient = gis
	e := &Env{Store: st, URL: url, S3: s3, Sim: sim, GISURL: srv.URL, Clock: clk, GIS: gis, Log: a.Log, App: a,
		Recon: a.Reconciler(), Pack: a.Packer(), Send: a.Sender(), Poll: a.Poller()}
	e.Poll.Sender = e.Send // the sweep posts through the sender the tests tune
	return e
}

// Reconciled uploads a generated pair of exports for org (rows payments,
// all matching) and reconciles them; it returns the run id.
func (e *Env) Reconciled(t testing.TB, org string, rows int, seed uint64) int64 {
	t.Helper()
	ctx := context.Background()
	var b, a bytes.Buffer
	if _, err := exportgen.Write(exportgen.Spec{Rows: rows, Days: 1, Last: calendar.FromYMD(2026, 11, 21), Seed: seed}, &b, &a); err != nil {
		t.Fatal(err)
	}
	refs := e.Upload(t, org, fmt.Sprint(seed), b.String(), a.String())
	res, err := e.Recon.Reconcile(ctx, reconciler.Request{Org: org, Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != rows {
		t.Fatalf("%d of %d matched", res.Matched, rows)
	}
	return res.RunID
}

// Upload puts a billing and a bank export of org into the exports
// bucket under name, registers them and returns them for the reconciler.
func (e *Env) Upload(t testing.TB, org, name, billing, acquiring string) []reconciler.FileRef {
	t.Helper()
	ctx := context.Background()
	o, err := e.Store.OrganizationByCode(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	var refs []reconciler.FileRef
	for _, f := range []struct {
		kind exportcsv.Kind
		data string
	}{{exportcsv.Billing, billing}, {exportcsv.Acquiring, acquiring}} {
		key := fmt.Sprintf("incoming/%s/%s/%s.csv", f.kind, org, name)
		etag := e.S3.Put(t, Exports, key, []byte(f.data))
		if _, _, err := e.Store.RegisterFile(ctx, &postgres.SourceFile{OrganizationID: o.ID, Bucket: Exports,
			Key: key, ETag: etag, Kind: f.kind}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, reconciler.FileRef{Bucket: Exports, Key: key, ETag: etag})
	}
	return refs
}

// Packed reconciles and packs; it returns the run and its package ids.
func (e *Env) Packed(t testing.TB, org string, rows int, seed uint64) (int64, []int64) {
	t.Helper()
	runID := e.Reconciled(t, org, rows, seed)
	res, err := e.Pack.Pack(context.Background(), packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	return runID, res.PackageIDs
}
