package xades

import (
	"io"
	"math/big"
	"slices"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// sign computes a GOST R 34.10-2012 signature (§6.1) of a Streebog digest:
// e is the number whose little-endian bytes the digest is, C = kP,
// r = x_C mod q, s = (r·d + k·e) mod q; the result is s || r, 32 bytes
// each, big-endian. go-cryptobin computes kP in affine coordinates with a
// modular inversion per step (2 ms a signature); here it is done in
// Jacobian coordinates with one inversion at the end. Its output is
// checked in the tests against the standard's example, go-cryptobin's
// verifier and OpenSSL's.
func sign(priv *gost.PrivateKey, digest []byte, rand io.Reader) ([]byte, error) {
	c := priv.Curve
	size := c.PointSize()
	e := new(big.Int).SetBytes(reverse(digest))
	e.Mod(e, c.Q)
	if e.Sign() == 0 {
		e.SetInt64(1)
	}
	raw := make([]byte, size)
	for {
		if _, err := io.ReadFull(rand, raw); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(raw)
		k.Mod(k, c.Q)
		if k.Sign() == 0 {
			continue
		}
		x, ok := scalarBaseX(c, k)
		if !ok {
			continue
		}
		r := x.Mod(x, c.Q)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(r, priv.D)
		s.Add(s, k.Mul(k, e))
		s.Mod(s, c.Q)
		if s.Sign() == 0 {
			continue
		}
		out := make([]byte, 2*size)
		s.FillBytes(out[:size])
		r.FillBytes(out[size:])
		return out, nil
	}
}

func reverse(b []byte) []byte {
	c := slices.Clone(b)
	slices.Reverse(c)
	return c
}

// jacobian is a point (X/Z², Y/Z³); Z = 0 is the point at infinity.
type jacobian struct{ x, y, z *big.Int }

// scalarBaseX returns the affine x of kP by double-and-add from the top bit.
func scalarBaseX(c *gost.Curve, k *big.Int) (*big.Int, bool) {
	p := c.P
	acc := jacobian{new(big.Int), new(big.Int), new(big.Int)} // infinity
	for i := k.BitLen() - 1; i >= 0; i-- {
		acc = double(c, acc)
		if k.Bit(i) == 1 {
			acc = addAffine(c, acc, c.X, c.Y)
		}
	}
	if acc.z.Sign() == 0 {
		return nil, false
	}
	zinv := new(big.Int).ModInverse(acc.z, p)
	if zinv == nil {
		return nil, false
	}
	z2 := new(big.Int).Mul(zinv, zinv)
	x := z2.Mul(z2, acc.x)
	return x.Mod(x, p), true
}

func mod(x, p *big.Int) *big.Int { return x.Mod(x, p) }

// double is dbl-2007-bl for y² = x³ + ax + b.
func double(c *gost.Curve, q jacobian) jacobian {
	if q.z.Sign() == 0 || q.y.Sign() == 0 {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	p := c.P
	xx := mod(new(big.Int).Mul(q.x, q.x), p)
	yy := mod(new(big.Int).Mul(q.y, q.y), p)
	yyyy := mod(new(big.Int).Mul(yy, yy), p)
	zz := mod(new(big.Int).Mul(q.z, q.z), p)
	s := new(big.Int).Add(q.x, yy)
	s.Mul(s, s).Sub(s, xx).Sub(s, yyyy).Lsh(s, 1)
	mod(s, p)
	m := new(big.Int).Mul(zz, zz)
	m.Mul(m, c.A).Add(m, new(big.Int).Mul(xx, big.NewInt(3)))
	mod(m, p)
	x3 := new(big.Int).Mul(m, m)
	x3.Sub(x3, new(big.Int).Lsh(s, 1))
	mod(x3, p)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, m).Sub(y3, new(big.Int).Lsh(yyyy, 3))
	mod(y3, p)
	z3 := new(big.Int).Add(q.y, q.z)
	z3.Mul(z3, z3).Sub(z3, yy).Sub(z3, zz)
	mod(z3, p)
	return jacobian{x3, y3, z3}
}

// addAffine is madd-2007-bl: q + (x2, y2) with the second point affine.
func addAffine(c *gost.Curve, q jacobian, x2, y2 *big.Int) jacobian {
	p := c.P
	if q.z.Sign() == 0 {
		return jacobian{new(big.Int).Set(x2), new(big.Int).Set(y2), big.NewInt(1)}
	}
	z1z1 := mod(new(big.Int).Mul(q.z, q.z), p)
	u2 := mod(new(big.Int).Mul(x2, z1z1), p)
	s2 := new(big.Int).Mul(y2, q.z)
	s2.Mul(s2, z1z1)
	mod(s2, p)
	h := mod(new(big.Int).Sub(u2, q.x), p)
	r := mod(new(big.Int).Lsh(new(big.Int).Sub(s2, q.y), 1), p)
	if h.Sign() == 0 {
		if r.Sign() == 0 {
			return double(c, q) // the same point
		}
		return jacobian{new(big.Int), new(big.Int), new(big.Int)} // opposite points
	}
	hh := mod(new(big.Int).Mul(h, h), p)
	i := new(big.Int).Lsh(hh, 2)
	j := mod(new(big.Int).Mul(h, i), p)
	v := mod(new(big.Int).Mul(q.x, i), p)
	x3 := new(big.Int).Mul(r, r)
	x3.Sub(x3, j).Sub(x3, new(big.Int).Lsh(v, 1))
	mod(x3, p)
	y3 := new(big.Int).Sub(v, x3)
	y3.Mul(y3, r).Sub(y3, new(big.Int).Lsh(new(big.Int).Mul(q.y, j), 1))
	mod(y3, p)
	z3 := new(big.Int).Add(q.z, h)
	z3.Mul(z3, z3).Sub(z3, z1z1).Sub(z3, hh)
	mod(z3, p)
	return jacobian{x3, y3, z3}
}
