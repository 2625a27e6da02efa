package fp256

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func minus(x *big.Int, d int64) *big.Int { return new(big.Int).Sub(x, big.NewInt(d)) }

// moduli are the primes of the GOST R 34.10 256-bit curves, primes at both
// ends of the range (the largest needs the fifth word of carries), and
// odd numbers that are not prime, for all but Inverse.
func moduli() []struct {
	p     *big.Int
	prime bool
} {
	ms := []struct {
		p     *big.Int
		prime bool
	}{
		{minus(pow2(256), 189), true}, // the largest prime below 2^256
		{big.NewInt(3), true},
		{minus(pow2(64), 59), true},
		{minus(pow2(255), 19), true},
		{minus(pow2(256), 1), false},
		{new(big.Int).Add(pow2(192), big.NewInt(1)), false},
	}
	for _, c := range []*gost.Curve{gost.CurveIdtc26gost341012256paramSetA(), gost.CurveIdtc26gost341012256paramSetB(),
		gost.CurveIdtc26gost341012256paramSetC(), gost.CurveIdtc26gost341012256paramSetD(),
		gost.CurveIdGostR34102001TestParamSet(), gost.CurveGostR34102001ParamSetcc()} {
		ms = append(ms, struct {
			p     *big.Int
			prime bool
		}{c.P, true})
	}
	return ms
}

// values are the edges of p and of the limbs, then random numbers below
// p and below 2^256.
func values(t testing.TB, p *big.Int) []*big.Int {
	vs := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), minus(p, 1), minus(p, 2), p,
		new(big.Int).Add(p, big.NewInt(1)), minus(pow2(256), 1), minus(pow2(64), 1), pow2(64), pow2(128),
		minus(pow2(192), 1), pow2(255), new(big.Int).Rsh(p, 1)}
	for range 30 {
		for _, n := range []*big.Int{p, pow2(256)} {
			v, err := rand.Int(rand.Reader, n)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
	}
	var in []*big.Int
	for _, v := range vs {
		if v.BitLen() <= 256 {
			in = append(in, v)
		}
	}
	return in
}

// check compares each operation on x and y with math/big modulo p.
func check(t testing.TB, f *Field, prime bool, x, y *big.Int) {
	t.Helper()
	p := f.Modulus()
	ex, ok1 := f.FromBig(x)
	ey, ok2 := f.FromBig(y)
	if !ok1 || !ok2 {
		t.Fatalf("p = %x: FromBig refuses %x or %x", p, x, y)
	}
	mod := func(z *big.Int) *big.Int { return z.Mod(z, p) }
	want := map[string]*big.Int{
		"x mod p": mod(new(big.Int).Set(x)),
		"x·y":     mod(new(big.Int).Mul(x, y)),
		"x²":      mod(new(big.Int).Mul(x, x)),
		"x + y":   mod(new(big.Int).Add(x, y)),
		"x − y":   mod(new(big.Int).Sub(x, y)),
		"−x":      mod(new(big.Int).Neg(x)),
		"2x":      mod(new(big.Int).Lsh(x, 1)),
	}
	got := map[string]Element{
		"x mod p": ex, "x·y": f.Mul(ex, ey), "x²": f.Square(ex), "x + y": f.Add(ex, ey),
		"x − y": f.Sub(ex, ey), "−x": f.Neg(ex), "2x": f.Double(ex),
	}
	if prime {
		want["x⁻¹"] = new(big.Int).ModInverse(x, p)
		if want["x⁻¹"] == nil {
			want["x⁻¹"] = new(big.Int) // x ≡ 0
		}
		got["x⁻¹"] = f.Inverse(ex)
	}
	for name, w := range want {
		g := got[name]
		if !below(g, f.p) {
			t.Errorf("p = %x, x = %x, y = %x: %s = %x is not reduced", p, x, y, name, g)
		}
		if b := f.Big(g); b.Cmp(w) != 0 {
			t.Errorf("p = %x, x = %x, y = %x: %s = %x, math/big %x", p, x, y, name, b, w)
		}
	}
}

// below reports whether the limbs of x are a number below those of p.
func below(x Element, p [4]uint64) bool {
	for i := 3; i >= 0; i-- {
		if x[i] != p[i] {
			return x[i] < p[i]
		}
	}
	return false
}

func TestFieldMatchesBig(t *testing.T) {
	for _, m := range moduli() {
		f, err := New(m.p)
		if err != nil {
			t.Fatal(err)
		}
		vs := values(t, m.p)
		for _, x := range vs {
			for _, y := range vs {
				check(t, f, m.prime, x, y)
			}
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, p := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-7), big.NewInt(4), pow2(256),
		new(big.Int).Add(pow2(256), big.NewInt(1))} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%x) accepts a modulus it cannot serve", p)
		}
	}
}

func TestFromBigRefuses(t *testing.T) {
	f, err := New(minus(pow2(256), 189))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*big.Int{big.NewInt(-1), pow2(256)} {
		if _, ok := f.FromBig(x); ok {
			t.Errorf("FromBig(%x) is accepted", x)
		}
	}
}

// FuzzField compares the arithmetic with math/big for any two numbers
// below 2^256 (values at or above p included) modulo the primes of moduli,
// and, with a modulus from the input, all but Inverse modulo any odd
// number in [3, 2^256).
func FuzzField(f *testing.F) {
	ms := moduli()
	f.Add(uint8(0), []byte{1}, []byte{2}, []byte(nil))
	f.Add(uint8(1), []byte{0xff, 0xff}, []byte{0}, []byte{0x80, 0, 0, 1})
	fields := make([]*Field, len(ms))
	for i, m := range ms {
		fields[i], _ = New(m.p)
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b, p []byte) {
		if len(a) > 32 || len(b) > 32 || len(p) > 32 {
			t.Skip()
		}
		x, y := new(big.Int).SetBytes(a), new(big.Int).SetBytes(b)
		if len(p) == 0 {
			i := int(which) % len(ms)
			check(t, fields[i], ms[i].prime, x, y)
			return
		}
		field, err := New(new(big.Int).SetBytes(p))
		if err != nil {
			t.Skip()
		}
		check(t, field, false, x, y)
	})
}

func BenchmarkMul(b *testing.B) {
	f, _ := New(gost.CurveIdtc26gost341012256paramSetB().P)
	x, _ := f.FromBig(minus(pow2(255), 12345))
	y := x
	for b.Loop() {
		y = f.Mul(x, y)
	}
}

func BenchmarkInverse(b *testing.B) {
	f, _ := New(gost.CurveIdtc26gost341012256paramSetB().P)
	x, _ := f.FromBig(minus(pow2(255), 12345))
	for b.Loop() {
		x = f.Inverse(x)
	}
}
