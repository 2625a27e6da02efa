package xades

import (
	"io"
	"math/big"
	"slices"
	"sync"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// sign is go-cryptobin's gost.PrivateKey.Sign (GOST R 34.10-2012 §6.1)
// with a faster k·P. α is the number whose little-endian bytes the digest
// is (§6.1 step 2; see the package comment), e = α mod q or 1; C = k·P,
// r = x_C mod q, s = (r·d + k·e) mod q; the result is s || r, 32 bytes
// each, big-endian, as go-cryptobin's Sign and the XMLDSig SignatureValue
// lay it out.
//
// go-cryptobin computes k·P by affine double-and-add on math/big with a
// modular inversion per step: 1.7 ms. With a table of multiples of P
// (fixedBase, built once per curve) it is 32 mixed additions on fp256's
// limbs and one inversion of Z, whose time does not depend on Z. Like
// go-cryptobin's, k·P is not constant-time, though: the table entry read
// and the skipped additions follow k's 8-bit windows.
// That is acceptable here because the signer is a batch job holding one
// organisation's key in its own process, whose timing nobody observes per
// signature. The scalars mod q stay on math/big: a few microseconds.
// A curve fp256 cannot hold (p above 2^256, no base table) is signed by
// go-cryptobin.
func sign(priv *gost.PrivateKey, base *fixedBase, digest []byte, rand io.Reader) ([]byte, error) {
	if base == nil {
		return priv.Sign(rand, digest, nil)
	}
	q := priv.Curve.Q
	size := priv.Curve.PointSize()
	e := digestScalar(digest, q)
	raw := make([]byte, size)
	for {
		if _, err := io.ReadFull(rand, raw); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(raw)
		k.Mod(k, q)
		if k.Sign() == 0 {
			continue
		}
		r, ok := base.mulX(k)
		if !ok {
			continue
		}
		r.Mod(r, q)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(r, priv.D)
		s.Add(s, k.Mul(k, e))
		s.Mod(s, q)
		if s.Sign() == 0 {
			continue
		}
		out := make([]byte, 2*size)
		s.FillBytes(out[:size])
		r.FillBytes(out[size:])
		return out, nil
	}
}

// digestScalar is e of GOST R 34.10-2012 (§6.1 step 2, §6.2 step 2): the
// digest's bytes read as a little-endian number, mod q, or 1 where that
// is 0.
func digestScalar(digest []byte, q *big.Int) *big.Int {
	e := new(big.Int).SetBytes(reverse(digest))
	if e.Mod(e, q).Sign() == 0 {
		e.SetInt64(1)
	}
	return e
}

func reverse(b []byte) []byte {
	c := slices.Clone(b)
	slices.Reverse(c)
	return c
}

// fixedBase holds j·2^(w·i)·P for every w-bit window i of a scalar and
// every digit j ≥ 1, in affine coordinates, so that
// k·P = Σ_i table[i][k_i − 1] without any doubling.
type fixedBase struct {
	curve *curve
	table [][tableSize]affine
}

// tableBits is w: with 8 bits k·P is 32 mixed additions, and a table is
// 32·255 points (510 KiB) that take about 13 ms of CPU to compute, once
// per curve and per key verified; 4 bits would make that 2 ms and double
// the additions of every signature and verification.
const (
	tableBits = 8
	tableSize = 1<<tableBits - 1
)

// bases holds each curve's fixed-base table (nil for a curve fp256 cannot
// hold): a process meets few curves.
var bases sync.Map // *gost.Curve → *fixedBase

// newFixedBase returns the table of the curve's base point, or nil for a
// curve whose p is above 2^256. It is computed on the first call for a
// curve and then shared: the signer's key and every verification on the
// curve use the same table.
func newFixedBase(c *gost.Curve) *fixedBase {
	if f, ok := bases.Load(c); ok {
		return f.(*fixedBase)
	}
	f, _ := bases.LoadOrStore(c, baseTable(c))
	return f.(*fixedBase)
}

// baseTable computes the table of the curve's base point.
func baseTable(c *gost.Curve) *fixedBase {
	cv := newCurve(c)
	if cv == nil {
		return nil
	}
	g, ok := cv.point(c.X, c.Y)
	if !ok {
		return nil
	}
	return newPointBase(cv, g)
}

// newPointBase computes the table of a point, or nil when a multiple of it
// is the point at infinity (a point of small order: no valid public key).
// The points 2^(w·i)·b come by doubling, the j·2^(w·i)·b by adding, and
// each set is brought to affine coordinates with one inversion.
func newPointBase(c *curve, b affine) *fixedBase {
	windows := (c.params.Q.BitLen() + tableBits - 1) / tableBits
	powers := make([]jacobian, windows)
	acc := c.addAffine(jacobian{}, b)
	for i := range powers {
		powers[i] = acc
		for range tableBits {
			acc = c.double(acc)
		}
	}
	multiples := make([]jacobian, 0, tableSize*windows)
	for _, bi := range powers {
		if bi.z.IsZero() {
			return nil
		}
	}
	for _, bi := range c.normalize(powers) {
		acc := jacobian{}
		for range tableSize {
			if acc = c.addAffine(acc, bi); acc.z.IsZero() {
				return nil
			}
			multiples = append(multiples, acc)
		}
	}
	points := c.normalize(multiples)
	f := &fixedBase{curve: c, table: make([][tableSize]affine, windows)}
	for i := range f.table {
		f.table[i] = [tableSize]affine(points[tableSize*i : tableSize*(i+1)])
	}
	return f
}

// mulX returns the affine x of k·P, or false if k·P is the point at infinity.
func (f *fixedBase) mulX(k *big.Int) (*big.Int, bool) {
	acc := f.mulAdd(jacobian{}, k)
	if acc.z.IsZero() {
		return nil, false
	}
	return f.curve.f.Big(f.curve.toAffine(acc).x), true
}

// mulAdd returns acc + k·P in Jacobian coordinates.
func (f *fixedBase) mulAdd(acc jacobian, k *big.Int) jacobian {
	for i, w := range f.table {
		if j := digit(k, i, tableBits); j != 0 {
			acc = f.curve.addAffine(acc, w[j-1])
		}
	}
	return acc
}

// digit is the i-th width-bit digit of k.
func digit(k *big.Int, i, width int) uint {
	var d uint
	for b := range width {
		d |= k.Bit(width*i+b) << b
	}
	return d
}
