package xades

import (
	"bytes"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func number(s string) *big.Int { return new(big.Int).SetBytes(unhex(s)) }

func reversed(b []byte) []byte {
	c := slices.Clone(b)
	slices.Reverse(c)
	return c
}

// RFC 6986 §10.1 and §10.2 print the messages M1, M2 and their 256-bit
// hashes as numbers, most significant byte first: the bytes hashed and
// the bytes emitted are those printed, reversed.
func TestStreebogRFC6986(t *testing.T) {
	tests := []struct{ name, message, hash string }{
		{"M1", "323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130",
			"00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"},
		{"M2", "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1",
			"508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digest(reversed(unhex(tt.message))); !bytes.Equal(got, reversed(unhex(tt.hash))) {
				t.Errorf("Streebog-256 = %x, want the reverse of %s", got, tt.hash)
			}
		})
	}
}

// fixedReader hands out k, so that a signature can be compared with a
// published one.
type fixedReader []byte

func (r fixedReader) Read(p []byte) (int, error) { return copy(p, r), nil }

// GOST R 34.10-2012 Appendix A.1 (RFC 7091 Appendix A.1): on the test curve,
// key d with public key Q signs the digest value e with nonce k into (r, s).
func TestGOST3410Example(t *testing.T) {
	curve, err := gost.NewCurve(
		number("8000000000000000000000000000000000000000000000000000000000000431"), // p
		number("8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3"), // q
		big.NewInt(7), // a
		number("5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E"), // b
		big.NewInt(2), // x_P
		number("08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8"), // y_P
		nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := number("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28")
	e := unhex("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5")
	k := unhex("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3")
	r := unhex("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493")
	s := unhex("01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40")

	x, y := curve.ScalarBaseMult(d.Bytes())
	if x.Cmp(number("7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B")) != 0 ||
		y.Cmp(number("26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA")) != 0 {
		t.Fatalf("Q = (%X, %X), not the published point", x, y)
	}
	priv := &gost.PrivateKey{PublicKey: gost.PublicKey{Curve: curve, X: x, Y: y}, D: d}
	want := slices.Concat(s, r)
	// A digest is the little-endian form of its number, so e's digest is e reversed.
	got, err := sign(priv, newFixedBase(curve), reversed(e), fixedReader(k))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("signature\n got %X\nwant %X (s || r)", got, want)
	}
	if ok, _ := gost.Verify(&priv.PublicKey, reversed(e), want); !ok {
		t.Error("go-cryptobin rejects the published signature")
	}
}

// The table-driven k·P equals go-cryptobin's affine double-and-add, on
// scalars that exercise empty, full and top windows.
func TestFixedBaseMatchesLibrary(t *testing.T) {
	curve := gost.CurveIdGostR34102001CryptoProAParamSet()
	base := newFixedBase(curve)
	q := curve.Q
	scalars := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(17), big.NewInt(0xf0f0),
		new(big.Int).Lsh(big.NewInt(1), 252), new(big.Int).Sub(q, big.NewInt(1)), new(big.Int).Sub(q, big.NewInt(2))}
	for range 20 {
		k, _ := rand.Int(rand.Reader, q)
		scalars = append(scalars, k)
	}
	for _, k := range scalars {
		want, _ := curve.ScalarBaseMult(k.Bytes())
		if got, ok := base.mulX(k); !ok || got.Cmp(want) != 0 {
			t.Errorf("x(%X·P) = %X, want %X", k, got, want)
		}
	}
	if _, ok := base.mulX(q); ok {
		t.Error("q·P is not the point at infinity")
	}
}

// Signatures made here verify with go-cryptobin's verifier.
func TestSignVerifiesWithLibrary(t *testing.T) {
	k := testKey(t)
	for i := range 20 {
		d := digest([]byte{byte(i)})
		sig, err := sign(k.priv, k.base(), d, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := gost.Verify(&k.priv.PublicKey, d, sig); !ok {
			t.Fatalf("signature %d does not verify", i)
		}
		if ok, _ := gost.Verify(&k.priv.PublicKey, d, slices.Concat(sig[32:], sig[:32])); ok {
			t.Fatalf("signature %d verifies as r || s too", i)
		}
	}
}

// The fast verifier agrees with go-cryptobin's on good signatures, on
// signatures of another digest, with r and s swapped, and out of range.
func TestVerifyAgreesWithLibrary(t *testing.T) {
	k := testKey(t)
	pub := &k.priv.PublicKey
	q := k.priv.Curve.Q.FillBytes(make([]byte, 32))
	for i := range 20 {
		d := digest([]byte{byte(i)})
		sig, err := sign(k.priv, k.base(), d, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			d, sig []byte
		}{
			"good": {d, sig}, "other digest": {digest([]byte{byte(i), 1}), sig},
			"swapped": {d, slices.Concat(sig[32:], sig[:32])}, "s = q": {d, slices.Concat(q, sig[32:])},
			"short": {d, sig[1:]},
		} {
			want, _ := gost.Verify(pub, c.d, c.sig)
			if got := verifyGOST(pub, c.d, c.sig); got != want || (name == "good") != got {
				t.Errorf("signature %d, %s: verifyGOST %v, go-cryptobin %v", i, name, got, want)
			}
		}
	}
}

// The test certificate carries a GOST R 34.10-2012 256 key as RFC 4491
// §2.3.2 and RFC 9215 encode it, and is signed with GOST R 34.10-2012 256
// over Streebog-256.
func TestCertificateEncoding(t *testing.T) {
	k := testKey(t)
	var spki struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters struct{ Curve, Digest asn1.ObjectIdentifier }
		}
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(k.cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want asn1.ObjectIdentifier
	}{
		{"key algorithm id-tc26-gost3410-12-256", spki.Algorithm.Algorithm, asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}},
		{"curve id-GostR3410-2001-CryptoPro-A-ParamSet", spki.Algorithm.Parameters.Curve, asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 1}},
		{"digest id-tc26-gost3411-12-256", spki.Algorithm.Parameters.Digest, asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 2}},
		{"signature id-tc26-signwithdigest-gost3410-12-256", signatureAlgorithm(t, k.cert.Raw), asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 3, 2}},
	}
	for _, c := range checks {
		if !c.got.Equal(c.want) {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}
	var point []byte
	if _, err := asn1.Unmarshal(spki.PublicKey.Bytes, &point); err != nil {
		t.Fatalf("subjectPublicKey is not an OCTET STRING: %v", err)
	}
	pub := k.priv.PublicKey
	if len(point) != 64 || new(big.Int).SetBytes(reversed(point[:32])).Cmp(pub.X) != 0 ||
		new(big.Int).SetBytes(reversed(point[32:])).Cmp(pub.Y) != 0 {
		t.Errorf("public key %X is not x || y little-endian", point)
	}
	if err := k.cert.CheckSignature(k.cert.SignatureAlgorithm, k.cert.RawTBSCertificate, k.cert.Signature); err != nil {
		t.Errorf("self-signature: %v", err)
	}
}

func signatureAlgorithm(t *testing.T, der []byte) asn1.ObjectIdentifier {
	var c struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		t.Fatal(err)
	}
	return c.Algorithm.Algorithm
}

// z·Q for a verification: by the key's cached table, and by windows.
func BenchmarkKeyMul(b *testing.B) {
	k := testKey(b)
	pub := &k.priv.PublicKey
	base := newFixedBase(pub.Curve)
	q, _ := base.curve.point(pub.X, pub.Y)
	z := new(big.Int).Sub(pub.Curve.Q, big.NewInt(12345))
	b.Run("table", func(b *testing.B) {
		loopCPU(b, func() { keyMulAdd(pub, base, jacobian{}, z) })
	})
	b.Run("windows", func(b *testing.B) {
		loopCPU(b, func() { windowMul(base.curve, q, z) })
	})
}

// One signature and one verification of a digest, with the key's tables
// built, as the packer signs and verifies each package.
func BenchmarkGOST(b *testing.B) {
	k := testKey(b)
	d := digest([]byte("package"))
	sig, err := sign(k.priv, k.base(), d, rand.Reader)
	if err != nil || !verifyGOST(&k.priv.PublicKey, d, sig) {
		b.Fatal("no signature that verifies", err)
	}
	b.Run("sign", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := sign(k.priv, k.base(), d, rand.Reader); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("verify", func(b *testing.B) {
		loopCPU(b, func() {
			if !verifyGOST(&k.priv.PublicKey, d, sig) {
				b.Fatal("the signature does not verify")
			}
		})
	})
}

// The table of a curve's base point or of a key, built once per process.
func BenchmarkNewFixedBase(b *testing.B) {
	c := testKey(b).priv.Curve
	loopCPU(b, func() { baseTable(c) })
}

// loopCPU runs op b.N times and reports the process's CPU time per op as
// well: on a shared machine the wall time says as much about the
// neighbours.
func loopCPU(b *testing.B, op func()) {
	var start, end syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	for b.Loop() {
		op()
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &end)
	cpu := end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
}
