package xades

import (
	"math/big"

	"github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/gispayments/gis-payments/internal/xades/fp256"
)

// curve is a GOST R 34.10 curve y² = x³ + ax + b modulo a prime p below
// 2^256 (every 256-bit parameter set), with its coefficients in fp256's
// Montgomery form. The formulas are for any a: the CryptoPro and tc26 sets
// have a = −3 except tc26-256-A and the standard's test curve.
type curve struct {
	params *gost.Curve
	f      *fp256.Field
	a, b   fp256.Element
}

type affine struct{ x, y fp256.Element }

// jacobian is the point (X/Z², Y/Z³); Z = 0 (the zero value) is the point
// at infinity.
type jacobian struct{ x, y, z fp256.Element }

// newCurve returns nil when p is not below 2^256 (the 512-bit sets).
func newCurve(c *gost.Curve) *curve {
	f, err := fp256.New(c.P)
	if err != nil {
		return nil
	}
	a, okA := f.FromBig(new(big.Int).Mod(c.A, c.P))
	b, okB := f.FromBig(new(big.Int).Mod(c.B, c.P))
	if !okA || !okB {
		return nil
	}
	return &curve{params: c, f: f, a: a, b: b}
}

// point is (x, y) if both are below p and the point is on the curve.
func (c *curve) point(x, y *big.Int) (affine, bool) {
	p := c.params.P
	if x.Sign() < 0 || y.Sign() < 0 || x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return affine{}, false
	}
	f := c.f
	a := affine{}
	a.x, _ = f.FromBig(x)
	a.y, _ = f.FromBig(y)
	rhs := f.Add(f.Mul(f.Add(f.Square(a.x), c.a), a.x), c.b) // (x² + a)·x + b
	return a, f.Square(a.y) == rhs
}

// double is dbl-2007-bl (Explicit-Formulas Database, Jacobian coordinates,
// any a); Z3 = 2·Y1·Z1 makes the double of the point at infinity and of a
// point with y = 0 the point at infinity.
func (c *curve) double(q jacobian) jacobian {
	f := c.f
	xx, yy, zz := f.Square(q.x), f.Square(q.y), f.Square(q.z)
	yyyy := f.Square(yy)
	s := f.Double(f.Sub(f.Sub(f.Square(f.Add(q.x, yy)), xx), yyyy))
	m := f.Add(f.Add(f.Double(xx), xx), f.Mul(c.a, f.Square(zz)))
	x3 := f.Sub(f.Square(m), f.Double(s))
	y3 := f.Sub(f.Mul(m, f.Sub(s, x3)), f.Double(f.Double(f.Double(yyyy))))
	z3 := f.Sub(f.Sub(f.Square(f.Add(q.y, q.z)), yy), zz)
	return jacobian{x3, y3, z3}
}

// addAffine is madd-2007-bl (EFD): q + a with a affine, with the cases the
// formula does not cover (q at infinity, q = ±a) handled.
func (c *curve) addAffine(q jacobian, a affine) jacobian {
	f := c.f
	if q.z.IsZero() {
		return jacobian{a.x, a.y, f.One()}
	}
	z1z1 := f.Square(q.z)
	u2 := f.Mul(a.x, z1z1)
	s2 := f.Mul(a.y, f.Mul(q.z, z1z1))
	h := f.Sub(u2, q.x)
	r := f.Double(f.Sub(s2, q.y))
	if h.IsZero() {
		if r.IsZero() {
			return c.double(q) // the same point
		}
		return jacobian{} // opposite points
	}
	hh := f.Square(h)
	i := f.Double(f.Double(hh))
	j := f.Mul(h, i)
	v := f.Mul(q.x, i)
	x3 := f.Sub(f.Sub(f.Square(r), j), f.Double(v))
	y3 := f.Sub(f.Mul(r, f.Sub(v, x3)), f.Double(f.Mul(q.y, j)))
	z3 := f.Sub(f.Sub(f.Square(f.Add(q.z, h)), z1z1), hh)
	return jacobian{x3, y3, z3}
}

// toAffine is p, not the point at infinity, in affine coordinates.
func (c *curve) toAffine(p jacobian) affine { return c.scaled(p, c.f.Inverse(p.z)) }

// scaled is p in affine coordinates given zinv = 1/Z.
func (c *curve) scaled(p jacobian, zinv fp256.Element) affine {
	f := c.f
	z2 := f.Square(zinv)
	return affine{f.Mul(p.x, z2), f.Mul(p.y, f.Mul(z2, zinv))}
}

// normalize is toAffine of every point, none at infinity, with a single
// inversion (Montgomery's trick: invert the product of the Z, then peel
// each Z off it).
func (c *curve) normalize(ps []jacobian) []affine {
	f := c.f
	prefix := make([]fp256.Element, len(ps)) // Z_0·…·Z_i
	acc := f.One()
	for i, p := range ps {
		acc = f.Mul(acc, p.z)
		prefix[i] = acc
	}
	inv := f.Inverse(acc) // 1/(Z_0·…·Z_i) as i goes down
	out := make([]affine, len(ps))
	for i := len(ps) - 1; i > 0; i-- {
		out[i] = c.scaled(ps[i], f.Mul(inv, prefix[i-1]))
		inv = f.Mul(inv, ps[i].z)
	}
	if len(ps) > 0 {
		out[0] = c.scaled(ps[0], inv)
	}
	return out
}
