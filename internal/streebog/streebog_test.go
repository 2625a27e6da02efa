package streebog

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
)

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func reversed(b []byte) []byte { c := slices.Clone(b); slices.Reverse(c); return c }

// RFC 6986 §10.1 and §10.2 (messages and hashes printed as big numbers).
func TestRFC6986(t *testing.T) {
	for _, tt := range []struct{ message, hash string }{
		{"323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130",
			"00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"},
		{"fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1",
			"508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"},
	} {
		if got := Sum256(reversed(unhex(tt.message))); !bytes.Equal(got, reversed(unhex(tt.hash))) {
			t.Errorf("got %x, want the reverse of %s", got, tt.hash)
		}
	}
}

// The same digests as go-cryptobin's straightforward implementation, for
// every length around the block boundaries and chunked writes.
func TestAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		ref := gost34112012256.New()
		ref.Write(data)
		want := ref.Sum(nil)
		h := New()
		for rest := data; len(rest) > 0; {
			c := min(len(rest), 1+rng.IntN(70))
			h.Write(rest[:c])
			rest = rest[c:]
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("length %d: got %x, want %x", n, got, want)
		}
	}
}

// Carries across all 512 bits of the checksum.
func TestChecksumCarry(t *testing.T) {
	data := bytes.Repeat([]byte{0xff}, 64*3+5)
	ref := gost34112012256.New()
	ref.Write(data)
	if got, want := Sum256(data), ref.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func BenchmarkSum256(b *testing.B) {
	data := make([]byte, 150_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sum256(data)
	}
}
