package xades

import (
	"bytes"
	"testing"
)

// FuzzVerifyEnvelope holds VerifyEnvelope against the tree verifier on
// changed packages, as TestVerifyEnvelopeAgreesWithTheTree does on chosen
// ones: judge allows their verdicts, settle checks the differences against
// libxml2 and OpenSSL. Seeded with small signed packages and the
// hand-made changes to one of them.
func FuzzVerifyEnvelope(f *testing.F) {
	packages := signedPackages(f)
	for _, p := range packages {
		if len(p.data) < 8<<10 {
			f.Add(p.data)
		}
	}
	seed := packages["testEnvelope"]
	for _, m := range mutants(seed.data) {
		if m.data != nil {
			f.Add(m.data)
		}
	}
	l := newLibxml(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l.t = t
		// Data that still names the seed's digest was signed, if at all,
		// with the seed's reference.
		var ref *Reference
		if bytes.Contains(data, []byte(b64(seed.ref.Digest))) {
			ref = seed.ref
		}
		l.settle(t, "fuzzed", data, judge(t, "fuzzed", data, ref))
	})
}
