package xades

import (
	"testing"
)

// FuzzVerifyEnvelope holds VerifyEnvelope against the tree verifier on
// changed packages, as TestVerifyEnvelopeAgreesWithTheTree does on chosen
// ones: judge allows their verdicts, settle checks the differences against
// libxml2 and OpenSSL. Seeded with small signed packages and the
// hand-made changes to one of them.
func FuzzVerifyEnvelope(f *testing.F) {
	packages := signedPackages(f)
	for _, data := range packages {
		if len(data) < 8<<10 {
			f.Add(data)
		}
	}
	for _, m := range mutants(packages["testEnvelope"]) {
		if m.data != nil {
			f.Add(m.data)
		}
	}
	l := newLibxml(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l.t = t
		l.settle(t, "fuzzed", data, judge(t, "fuzzed", data))
	})
}
