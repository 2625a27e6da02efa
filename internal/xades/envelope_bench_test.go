package xades

import (
	"testing"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// BenchmarkVerifyWritten250 verifies one written package of 250 supplier
// notifications (the packer's largest) or bank notifications, by a tree
// (treeVerify, as the packer did), from the bytes, and from the bytes
// against the signer's reference (VerifyWritten, as the packer does).
func BenchmarkVerifyWritten250(b *testing.B) {
	for _, op := range []gismessage.Operation{gismessage.SupplierNotifications, gismessage.Notifications} {
		doc, req := gisRequest(b, op, 250)
		ref, err := (&Signer{Key: testKey(b)}).SignReference(req)
		if err != nil {
			b.Fatal(err)
		}
		data, err := doc.WriteToBytes()
		if err != nil {
			b.Fatal(err)
		}
		verifiers := []struct {
			name   string
			verify func([]byte) error
		}{
			{"tree", treeVerify},
			{"bytes", func(d []byte) error { _, err := VerifyEnvelope(d); return err }},
			{"written", func(d []byte) error { _, err := VerifyWritten(d, ref); return err }},
		}
		for _, v := range verifiers {
			b.Run(string(op)+"/"+v.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				loopCPU(b, func() {
					if err := v.verify(data); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
