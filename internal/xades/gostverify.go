package xades

import (
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// verifyGOST is go-cryptobin's gost.Verify (GOST R 34.10-2012 §6.2) with
// faster point arithmetic: signature is s || r, digest's bytes are α
// little-endian as in sign; v = e⁻¹ mod q, z1 = s·v, z2 = −r·v,
// C = z1·P + z2·Q, and the signature holds when x_C mod q = r.
//
// go-cryptobin does both multiplications in affine coordinates on math/big
// with a modular inversion per step (4 ms). Here z1·P uses the curve's
// fixed-base table (shared with the signer) and z2·Q the key's
// own table once the key has been seen (see keyMulAdd), else a 4-bit
// window; the additions run on fp256's limbs into one Jacobian sum, and
// x_C is compared without an inversion. The scalars mod q stay on math/big
// (a few microseconds). A key that is not a point of its curve verifies
// nothing; a curve fp256 cannot hold (p above 2^256) is left to
// go-cryptobin. The tests check it against go-cryptobin and OpenSSL.
func verifyGOST(pub *gost.PublicKey, digest, signature []byte) bool {
	c := pub.Curve
	size := c.PointSize()
	if len(signature) != 2*size {
		return false
	}
	base := newFixedBase(c)
	if base == nil {
		ok, err := gost.Verify(pub, digest, signature)
		return ok && err == nil
	}
	s := new(big.Int).SetBytes(signature[:size])
	r := new(big.Int).SetBytes(signature[size:])
	q := c.Q
	if r.Sign() <= 0 || r.Cmp(q) >= 0 || s.Sign() <= 0 || s.Cmp(q) >= 0 {
		return false
	}
	e := digestScalar(digest, q)
	v := new(big.Int).ModInverse(e, q)
	z1 := new(big.Int).Mul(s, v)
	z1.Mod(z1, q)
	z2 := new(big.Int).Mul(r, v)
	z2.Sub(q, z2.Mod(z2, q))

	acc, ok := keyMulAdd(pub, base, base.mulAdd(jacobian{}, z1), z2)
	return ok && xModQIs(base.curve, acc, r)
}

// xModQIs reports whether the point p = (X/Z², …) has x mod q = r: x is one
// of r, r + q, r + 2q, … below p, and x = t exactly when X = t·Z².
func xModQIs(c *curve, p jacobian, r *big.Int) bool {
	if p.z.IsZero() {
		return false
	}
	zz := c.f.Square(p.z)
	for t := new(big.Int).Set(r); t.Cmp(c.params.P) < 0; t.Add(t, c.params.Q) {
		if e, _ := c.f.FromBig(t); c.f.Mul(e, zz) == p.x {
			return true
		}
	}
	return false
}

// keyTables caches the fixed-base tables of the public keys met, up to
// maxKeyTables of them (8 MiB): a packer verifies every package it signs with its
// own key, and with the key's table z2·Q is 32 mixed additions instead of
// 256 doublings and 64 additions. The table depends on the key alone.
var (
	keyTables     sync.Map // keyID → *fixedBase
	keyTableCount atomic.Int32
)

const maxKeyTables = 16

type keyID struct {
	curve *gost.Curve
	x, y  string
}

// keyMulAdd is acc + k·Q for the public key Q, by the key's table when it
// is kept or can be, else by windows; false when Q is not a point of the
// curve of base or has a small order.
func keyMulAdd(pub *gost.PublicKey, base *fixedBase, acc jacobian, k *big.Int) (jacobian, bool) {
	id := keyID{pub.Curve, string(pub.X.Bytes()), string(pub.Y.Bytes())}
	if f, ok := keyTables.Load(id); ok {
		return f.(*fixedBase).mulAdd(acc, k), true
	}
	c := base.curve
	a, ok := c.point(pub.X, pub.Y)
	if !ok {
		return jacobian{}, false
	}
	if keyTableCount.Load() < maxKeyTables {
		if f := newPointBase(c, a); f != nil {
			if _, loaded := keyTables.LoadOrStore(id, f); !loaded {
				keyTableCount.Add(1)
			}
			return f.mulAdd(acc, k), true
		}
	}
	kq, ok := windowMul(c, a, k)
	if !ok {
		return jacobian{}, false
	}
	if kq.z.IsZero() {
		return acc, true
	}
	return c.addAffine(acc, c.toAffine(kq)), true
}

// windowMul is k·a by 4-bit windows from the top: 4 doublings and at most
// one mixed addition of a precomputed j·a per window; false when a has a
// small order (no valid public key).
func windowMul(c *curve, a affine, k *big.Int) (jacobian, bool) {
	var multiples [15]jacobian // j·a for j = 1..15
	acc := jacobian{}
	for j := range multiples {
		acc = c.addAffine(acc, a)
		if acc.z.IsZero() {
			return jacobian{}, false
		}
		multiples[j] = acc
	}
	table := c.normalize(multiples[:])
	acc = jacobian{}
	for i := (k.BitLen()+3)/4 - 1; i >= 0; i-- {
		for range 4 {
			acc = c.double(acc)
		}
		if j := digit(k, i, 4); j != 0 {
			acc = c.addAffine(acc, table[j-1])
		}
	}
	return acc, true
}
