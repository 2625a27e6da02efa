package packer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"

	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xades"
)

// keyFile writes a throwaway key valid between notBefore and notAfter as
// a PEM bundle and returns its path and certificate.
func keyFile(t *testing.T, cn string, notBefore, notAfter time.Time) (string, *x509.Certificate) {
	t.Helper()
	priv, err := gost.GenerateKey(rand.Reader, gost.CurveIdGostR34102001CryptoProAParamSet())
	if err != nil {
		t.Fatal(err)
	}
	name := pkix.Name{CommonName: cn, Country: []string{"RU"}}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: name, Issuer: name,
		NotBefore: notBefore, NotAfter: notAfter, SignatureAlgorithm: x509.GOST3410WithGOST34112012256}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := gost.MarshalPrivateKey(priv)
	path := filepath.Join(t.TempDir(), cn+".pem")
	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := os.WriteFile(path, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return path, cert
}

func withOwnKey(t *testing.T, s *postgres.Store, code, kind, ref string) {
	t.Helper()
	o := pgtest.Organization(t, s, code, kind)
	o.SigningKey = ref
	if _, err := s.UpsertOrganization(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// headers records the getState headers the poller sends.
type headers struct {
	poller.GIS
	mu  sync.Mutex
	got []bool // IsOperatorSignature of each call
}

func (h *headers) GetState(ctx context.Context, hdr gismessage.Header, ack string) (*gisclient.State, []byte, error) {
	h.mu.Lock()
	h.got = append(h.got, hdr.OperatorSignature)
	h.mu.Unlock()
	return h.GIS.GetState(ctx, hdr, ack)
}

// TestWhoSigns: two organisations sign with their own keys, a third is
// signed for by the operator with IsOperatorSignature; the simulator
// verifies every signature, the getState headers follow each
// organisation, and the packer reports each key's days left.
func TestWhoSigns(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	now := time.Now()
	operatorPath, operatorCert := keyFile(t, "operator", now.Add(-time.Hour), now.AddDate(0, 0, 100))
	aPath, aCert := keyFile(t, "org-a", now.Add(-time.Hour), now.AddDate(0, 0, 20))
	bPath, bCert := keyFile(t, "org-b", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	withOwnKey(t, e.Store, "self-a", "uk_rso", aPath)
	withOwnKey(t, e.Store, "self-b", "ufkr", bPath)
	pgtest.Organization(t, e.Store, "by-operator", "uk_rso")
	var metrics bytes.Buffer
	e.Pack.Keys = &packer.Keys{Operator: operatorPath, Metrics: &metrics}
	rec := &headers{GIS: e.Poll.GIS}
	e.Poll.GIS = rec

	want := map[string]struct {
		cert     *x509.Certificate
		operator bool
	}{"self-a": {aCert, false}, "self-b": {bCert, false}, "by-operator": {operatorCert, true}}
	runs := map[string]int64{}
	for i, org := range []string{"self-a", "self-b", "by-operator"} {
		runID, ids := e.Packed(t, org, 3, uint64(10+i))
		runs[org] = runID
		pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
		for _, p := range pkgs {
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(e.S3.Get(t, testkit.Archive, p.RequestKey)); err != nil {
				t.Fatal(err)
			}
			certText := doc.FindElement("//ds:X509Certificate").Text()
			if der, _ := base64.StdEncoding.DecodeString(certText); !bytes.Equal(der, want[org].cert.Raw) {
				t.Errorf("%s: package %d signed with another key", org, p.ID)
			}
			if got := doc.FindElement("//base:IsOperatorSignature") != nil; got != want[org].operator {
				t.Errorf("%s: IsOperatorSignature %v", org, got)
			}
		}
		if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil {
			t.Fatalf("%s: send: %v", org, err)
		}
	}
	if e.Sim.Accepted() != 3 {
		t.Fatalf("the simulator accepted %d of 3 packages", e.Sim.Accepted())
	}
	e.Clock.Add(3 * time.Minute)
	for org, runID := range runs {
		rec.got = nil
		if _, err := e.Poll.Poll(ctx, poller.Request{RunID: runID}); err != nil {
			t.Fatalf("%s: poll: %v", org, err)
		}
		if len(rec.got) == 0 {
			t.Errorf("%s: no getState", org)
		}
		for _, got := range rec.got {
			if got != want[org].operator {
				t.Errorf("%s: getState IsOperatorSignature %v", org, got)
			}
		}
	}
	for _, line := range []string{`"Key":"self-a","SigningCertificateDaysLeft":19`, `"Key":"operator","SigningCertificateDaysLeft":99`,
		`"Key":"self-b","SigningCertificateDaysLeft":36`} {
		if !strings.Contains(metrics.String(), line) {
			t.Errorf("no metric %s in\n%s", line, metrics.String())
		}
	}
}

// TestOwnKeyNeverFallsBack: an organisation whose own key cannot be
// loaded fails as InvalidInput naming it; the operator's key signs nothing.
func TestOwnKeyNeverFallsBack(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	operatorPath, _ := keyFile(t, "operator", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	withOwnKey(t, e.Store, "self", "uk_rso", filepath.Join(t.TempDir(), "missing.pem"))
	e.Pack.Keys = &packer.Keys{Operator: operatorPath, Metrics: &bytes.Buffer{}}
	runID := e.Reconciled(t, "self", 2, 1)
	_, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err == nil || steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), "organisation self: its own signing key") {
		t.Fatalf("err = %v (%s)", err, steperr.KindOf(err))
	}
	if strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("the error shows the reference: %v", err)
	}
	pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
	for _, p := range pkgs {
		if p.Status != contract.PackageBuilt {
			t.Errorf("package %d is %s", p.ID, p.Status)
		}
	}
}

// TestExpiredCertificateRefused: the packer signs nothing with a
// certificate that has expired, whether it expired before the key was
// loaded or while the invocation ran (checked at each signature).
func TestExpiredCertificateRefused(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	expiredPath, expired := keyFile(t, "expired", now.AddDate(-1, 0, 0), now.Add(-time.Hour))
	validPath, valid := keyFile(t, "valid", now.Add(-time.Hour), now.Add(time.Hour))
	for _, c := range []struct {
		name   string
		ref    string
		at     time.Time
		expiry time.Time
	}{{"expired before", expiredPath, now, expired.NotAfter}, {"expires during the run", validPath, now.Add(2 * time.Hour), valid.NotAfter}} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			withOwnKey(t, e.Store, "self", "uk_rso", c.ref)
			e.Pack.Keys = &packer.Keys{Operator: c.ref, Metrics: &bytes.Buffer{}}
			e.Pack.Clock = clock.At(c.at)
			runID := e.Reconciled(t, "self", 2, 1)
			_, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
			want := "expired on " + c.expiry.UTC().Format("2006-01-02 15:04:05 MST")
			if err == nil || steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), want) ||
				!strings.Contains(err.Error(), "organisation self") {
				t.Fatalf("err = %v (%s), want InvalidInput naming %q", err, steperr.KindOf(err), want)
			}
		})
	}
	// The xades signer refuses at the moment of signing too.
	k, err := xades.LoadKeyFiles(validPath, validPath)
	if err != nil {
		t.Fatal(err)
	}
	el := etree.NewElement("x")
	el.CreateAttr("Id", "a")
	if err := (&xades.Signer{Key: k, Clock: clock.At(now.Add(2 * time.Hour))}).Sign(el); err == nil ||
		!strings.Contains(err.Error(), "expired on") {
		t.Errorf("sign after expiry: %v", err)
	}
}
