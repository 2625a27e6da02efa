package packer_test

import (
	"context"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xades"
)

// recordingSigner signs with the real signer and keeps each SignatureValue;
// with hold set, its first signature waits until hold is closed, so a
// second packer can run meanwhile (no sleeps: the test orders them).
type recordingSigner struct {
	inner   packer.Signer
	mu      sync.Mutex
	values  []string
	entered chan struct{}
	hold    chan struct{}
}

func (r *recordingSigner) SignContent(el *etree.Element, content []byte) (*xades.Reference, error) {
	ref, err := r.inner.SignContent(el, content)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.values = append(r.values, el.FindElement(".//ds:SignatureValue").Text())
	first := len(r.values) == 1
	r.mu.Unlock()
	if first && r.hold != nil {
		close(r.entered)
		<-r.hold
	}
	return ref, nil
}

// Two packers at once for one run: only one signs each package, and the
// archived bytes are the ones it signed, verified and recorded. Before,
// both signed every built package and put the archive object in turn.
func TestConcurrentPackersSignOnce(t *testing.T) {
	ctx := context.Background()
	e, runID := reconciled(t, "uk_rso", 300, 3) // two packages
	first := &recordingSigner{inner: e.Pack.Signer, entered: make(chan struct{}), hold: make(chan struct{})}
	second := &recordingSigner{inner: e.Pack.Signer}
	a, b := *e.Pack, *e.Pack
	a.Signer, b.Signer = first, second
	a.Workers = 1

	done := make(chan error, 1)
	go func() {
		_, err := a.Pack(ctx, packer.Request{RunID: runID})
		done <- err
	}()
	<-first.entered // A has signed its first package and waits before archiving it
	if _, err := b.Pack(ctx, packer.Request{RunID: runID}); err != nil && steperr.KindOf(err) != steperr.TransientError {
		t.Fatalf("the second packer while the first signs: %v (%s), want success or a transient error", err, steperr.KindOf(err))
	}
	close(first.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	again, err := b.Pack(ctx, packer.Request{RunID: runID})
	if err != nil || again.Signed != 0 {
		t.Fatalf("the second packer afterwards: %+v %v", again, err)
	}

	pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
	if n := len(first.values) + len(second.values); n != len(pkgs) {
		t.Errorf("%d signatures for %d packages (first packer %d, second %d)", n, len(pkgs), len(first.values), len(second.values))
	}
	signed := map[string]bool{}
	for _, v := range append(first.values, second.values...) {
		signed[v] = true
	}
	for _, p := range pkgs {
		if p.Status != contract.PackageSigned || p.RequestKey != packer.ArchiveKey(p) {
			t.Errorf("package %d: %+v", p.ID, p)
			continue
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(e.S3.Get(t, testkit.Archive, p.RequestKey)); err != nil {
			t.Fatal(err)
		}
		req := doc.FindElement("//soapenv:Body/*")
		if err := testkit.Verify(req); err != nil {
			t.Errorf("package %d: the archived request does not verify: %v", p.ID, err)
		}
		if v := req.FindElement(".//ds:SignatureValue").Text(); !signed[v] {
			t.Errorf("package %d: the archive holds a signature no packer reported", p.ID)
		}
	}
}
