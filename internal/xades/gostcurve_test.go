package xades

import (
	"crypto/rand"
	"math/big"
	"slices"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// paramSets256 are the 256-bit parameter sets go-cryptobin knows, under
// every name a certificate may give them: six distinct curves, two of
// them (tc26-256-A, a ≠ −3 and cofactor 4, and the standard's test curve,
// a = 7) off the a = −3 path.
func paramSets256() []*gost.Curve {
	return []*gost.Curve{
		gost.CurveIdGostR34102001CryptoProAParamSet(), gost.CurveIdGostR34102001CryptoProBParamSet(),
		gost.CurveIdGostR34102001CryptoProCParamSet(), gost.CurveIdGostR34102001CryptoProXchAParamSet(),
		gost.CurveIdGostR34102001CryptoProXchBParamSet(), gost.CurveIdtc26gost34102012256paramSetA(),
		gost.CurveIdtc26gost34102012256paramSetB(), gost.CurveIdtc26gost34102012256paramSetC(),
		gost.CurveIdtc26gost34102012256paramSetD(), gost.CurveIdGostR34102001TestParamSet(),
		gost.CurveGostR34102001ParamSetcc(),
	}
}

func randomScalar(t testing.TB, q *big.Int) *big.Int {
	k, err := rand.Int(rand.Reader, new(big.Int).Sub(q, big.NewInt(1)))
	if err != nil {
		t.Fatal(err)
	}
	return k.Add(k, big.NewInt(1))
}

// affineBig is a in go-cryptobin's terms.
func affineBig(c *curve, a affine) (x, y *big.Int) { return c.f.Big(a.x), c.f.Big(a.y) }

// rescaled is a as the Jacobian (λ²x, λ³y, λ) for a random λ, so that a
// formula that takes Z for 1 shows.
func rescaled(t testing.TB, c *curve, a affine) jacobian {
	l, ok := c.f.FromBig(randomScalar(t, c.params.P))
	if !ok {
		t.Fatal("λ out of range")
	}
	l2 := c.f.Square(l)
	return jacobian{c.f.Mul(a.x, l2), c.f.Mul(a.y, c.f.Mul(l2, l)), l}
}

func samePoint(t *testing.T, c *curve, what string, got jacobian, wantX, wantY *big.Int) {
	t.Helper()
	if got.z.IsZero() {
		t.Errorf("%s is the point at infinity, want (%X, %X)", what, wantX, wantY)
		return
	}
	if x, y := affineBig(c, c.toAffine(got)); x.Cmp(wantX) != 0 || y.Cmp(wantY) != 0 {
		t.Errorf("%s = (%X, %X), want (%X, %X)", what, x, y, wantX, wantY)
	}
}

// The point formulas, the tables and the window method agree with
// go-cryptobin's affine arithmetic on every 256-bit curve, with Z ≠ 1 and
// in the cases the addition formula does not cover.
func TestPointArithmeticMatchesLibrary(t *testing.T) {
	for _, pc := range paramSets256() {
		t.Run(pc.Name, func(t *testing.T) {
			base := newFixedBase(pc)
			if base == nil {
				t.Fatal("no table for a 256-bit curve")
			}
			c := base.curve
			ax, ay := pc.ScalarBaseMult(randomScalar(t, pc.Q).Bytes())
			bx, by := pc.ScalarBaseMult(randomScalar(t, pc.Q).Bytes())
			a, okA := c.point(ax, ay)
			b, okB := c.point(bx, by)
			if !okA || !okB {
				t.Fatal("a multiple of the base point is not on the curve")
			}
			sx, sy := pc.Add(ax, ay, bx, by)
			samePoint(t, c, "A + B", c.addAffine(rescaled(t, c, a), b), sx, sy)
			dx, dy := pc.Double(ax, ay)
			samePoint(t, c, "A + A", c.addAffine(rescaled(t, c, a), a), dx, dy)
			samePoint(t, c, "2A", c.double(rescaled(t, c, a)), dx, dy)
			samePoint(t, c, "O + B", c.addAffine(jacobian{}, b), bx, by)
			if sum := c.addAffine(rescaled(t, c, a), affine{a.x, c.f.Neg(a.y)}); !sum.z.IsZero() {
				t.Error("A + (−A) is not the point at infinity")
			}
			if d := c.double(jacobian{}); !d.z.IsZero() {
				t.Error("2·O is not the point at infinity")
			}

			table := newPointBase(c, b)
			ks := []*big.Int{big.NewInt(1), big.NewInt(15), big.NewInt(16), big.NewInt(0xff), new(big.Int).Sub(pc.Q, big.NewInt(1))}
			for range 3 {
				ks = append(ks, randomScalar(t, pc.Q))
			}
			for _, k := range ks {
				wx, wy := pc.ScalarMult(bx, by, k.Bytes())
				samePoint(t, c, "table k·B", table.mulAdd(jacobian{}, k), wx, wy)
				w, ok := windowMul(c, b, k)
				if !ok {
					t.Fatal("windowMul finds B of small order")
				}
				samePoint(t, c, "windows k·B", w, wx, wy)
				gx, _ := pc.ScalarBaseMult(k.Bytes())
				if x, ok := base.mulX(k); !ok || x.Cmp(gx) != 0 {
					t.Errorf("x(k·P) = %X, want %X", x, gx)
				}
			}
			if _, ok := base.mulX(pc.Q); ok {
				t.Error("q·P is not the point at infinity")
			}
		})
	}
}

// sigCase is a digest and a signature for verifyGOST.
type sigCase struct{ d, sig []byte }

// tampered are changes of a good signature s || r of d that must not
// verify: another digest, a bit of r or s flipped, r or s zero, q or
// above. The digest changes in its sixth byte: e and −e verify the same
// signature, and so would 0 and 1, both taken as e = 1.
func tampered(d, sig, q []byte) map[string]sigCase {
	n := len(sig) / 2
	s, r := sig[:n], sig[n:]
	flip := func(b []byte, i int) []byte { c := slices.Clone(b); c[i] ^= 1; return c }
	zero, ones := make([]byte, n), slices.Repeat([]byte{0xff}, n)
	return map[string]sigCase{
		"digest changed": {flip(d, 5), sig}, "r changed": {d, slices.Concat(s, flip(r, n-1))},
		"s changed": {d, slices.Concat(flip(s, 5), r)}, "r = 0": {d, slices.Concat(s, zero)},
		"s = 0": {d, slices.Concat(zero, r)}, "r = q": {d, slices.Concat(s, q)}, "s = q": {d, slices.Concat(q, r)},
		"r = 2^256 − 1": {d, slices.Concat(s, ones)}, "s = 2^256 − 1": {d, slices.Concat(ones, r)},
		"r, s swapped": {d, slices.Concat(r, s)}, "short": {d, sig[1:]},
	}
}

// On every 256-bit parameter set our signatures verify with go-cryptobin
// and ours, go-cryptobin's verify with ours, and ours refuses changed
// digests, r and s changed or out of range, another key's signatures. Digests whose e is 0 mod q (e becomes 1) are
// among them.
func TestGOSTParameterSetsAgreeWithLibrary(t *testing.T) {
	for _, pc := range paramSets256() {
		t.Run(pc.Name, func(t *testing.T) {
			priv, err := gost.GenerateKey(rand.Reader, pc)
			if err != nil {
				t.Fatal(err)
			}
			other, err := gost.GenerateKey(rand.Reader, pc)
			if err != nil {
				t.Fatal(err)
			}
			pub, base := &priv.PublicKey, newFixedBase(pc)
			q := pc.Q.FillBytes(make([]byte, 32))
			digests := [][]byte{make([]byte, 32), reversed(q)}
			for i := range 4 {
				digests = append(digests, digest([]byte{byte(i)}))
			}
			for _, d := range digests {
				ours, err := sign(priv, base, d, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				lib, err := gost.Sign(rand.Reader, priv, d)
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := gost.Verify(pub, d, ours); !ok {
					t.Errorf("digest %x: go-cryptobin refuses our signature", d)
				}
				if !verifyGOST(pub, d, ours) || !verifyGOST(pub, d, lib) {
					t.Errorf("digest %x: we refuse our signature or go-cryptobin's", d)
				}
				if verifyGOST(&other.PublicKey, d, ours) {
					t.Errorf("digest %x: the signature verifies with another key", d)
				}
				for name, c := range tampered(d, ours, q) {
					if verifyGOST(pub, c.d, c.sig) {
						t.Errorf("digest %x, %s: the signature verifies", d, name)
					}
				}
			}
		})
	}
}

// A public key that is not a point of its curve verifies nothing (where
// go-cryptobin panics), coordinates at or above p included.
func TestVerifyRefusesKeyOffCurve(t *testing.T) {
	k := testKey(t)
	pub := k.priv.PublicKey
	d := digest([]byte("package"))
	sig, err := sign(k.priv, k.base(), d, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !verifyGOST(&pub, d, sig) {
		t.Fatal("the key's own signature does not verify")
	}
	p := pub.Curve.P
	for name, key := range map[string]gost.PublicKey{
		"y + 1": {Curve: pub.Curve, X: pub.X, Y: new(big.Int).Add(pub.Y, big.NewInt(1))},
		"x + p": {Curve: pub.Curve, X: new(big.Int).Add(pub.X, p), Y: pub.Y},
		"y + p": {Curve: pub.Curve, X: pub.X, Y: new(big.Int).Add(pub.Y, p)},
	} {
		if verifyGOST(&key, d, sig) {
			t.Errorf("key %s: the signature verifies", name)
		}
	}
}

// A curve whose p is above 2^256 has no fp256 arithmetic: sign and
// verifyGOST leave it to go-cryptobin, with the same results.
func TestLargerCurveLeftToLibrary(t *testing.T) {
	pc := gost.CurveIdtc26gost34102012512paramSetA()
	if newFixedBase(pc) != nil {
		t.Fatal("a 512-bit curve has a table")
	}
	priv, err := gost.GenerateKey(rand.Reader, pc)
	if err != nil {
		t.Fatal(err)
	}
	d := digest([]byte("package"))
	sig, err := sign(priv, nil, d, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := gost.Verify(&priv.PublicKey, d, sig)
	if ours := verifyGOST(&priv.PublicKey, d, sig); !lib || !ours {
		t.Errorf("a 512-bit signature does not verify: go-cryptobin %v, verifyGOST %v", lib, ours)
	}
	if verifyGOST(&priv.PublicKey, reversed(d), sig) {
		t.Error("a 512-bit signature verifies for another digest")
	}
}
