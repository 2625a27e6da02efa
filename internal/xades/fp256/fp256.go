// Package fp256 is arithmetic modulo an odd number p < 2^256 (the prime of
// an elliptic curve) on four 64-bit limbs in Montgomery form, without
// math/big: a multiplication is 16 word products and a Montgomery
// reduction, where math/big spends most of its time dividing.
//
// The operations take the same time for every value except Inverse's
// exponent, which is public (p − 2); none of them branches on the values.
package fp256

import (
	"errors"
	"math/big"
	"math/bits"
)

// Element is x·2^256 mod p for a field's p, as little-endian 64-bit limbs;
// every Element a Field returns is below p.
type Element [4]uint64

// Field is the arithmetic modulo one p.
type Field struct {
	p    [4]uint64
	pinv uint64  // −p⁻¹ mod 2^64, the Montgomery reduction's factor
	rr   Element // 2^512 mod p: multiplying by it enters Montgomery form
	one  Element // 2^256 mod p: the element 1
	big  *big.Int
}

// New returns the field of p, which must be odd and between 3 and 2^256.
// Inverse is right only when p is prime.
func New(p *big.Int) (*Field, error) {
	if p.Sign() <= 0 || p.Bit(0) == 0 || p.BitLen() > 256 || p.Cmp(big.NewInt(3)) < 0 {
		return nil, errors.New("fp256: the modulus is not an odd number in [3, 2^256)")
	}
	f := &Field{p: limbs(p), big: new(big.Int).Set(p)}
	inv := f.p[0] // Newton's iteration doubles the correct low bits: 3 → 6 → … → 96
	for range 5 {
		inv *= 2 - f.p[0]*inv
	}
	f.pinv = -inv
	f.rr = limbs(new(big.Int).Mod(new(big.Int).Lsh(big.NewInt(1), 512), p))
	f.one = limbs(new(big.Int).Mod(new(big.Int).Lsh(big.NewInt(1), 256), p))
	return f, nil
}

// limbs is x (0 ≤ x < 2^256) as little-endian limbs.
func limbs(x *big.Int) [4]uint64 {
	var b [32]byte
	x.FillBytes(b[:])
	return fromBytes(&b)
}

func fromBytes(b *[32]byte) [4]uint64 {
	var l [4]uint64
	for i := range l {
		for _, c := range b[32-8*(i+1) : 32-8*i] {
			l[i] = l[i]<<8 | uint64(c)
		}
	}
	return l
}

// Modulus is p.
func (f *Field) Modulus() *big.Int { return new(big.Int).Set(f.big) }

// One is the element 1.
func (f *Field) One() Element { return f.one }

// FromBig is x mod p, for 0 ≤ x < 2^256: values at or above p, as a wire
// may carry, are reduced. It reports false for x outside [0, 2^256).
func (f *Field) FromBig(x *big.Int) (Element, bool) {
	if x.Sign() < 0 || x.BitLen() > 256 {
		return Element{}, false
	}
	// x < 2^256 and 2^512 mod p < p keep the product below 2^256·p, which
	// the reduction brings below p.
	return f.Mul(limbs(x), f.rr), true
}

// Big is x as a number in [0, p).
func (f *Field) Big(x Element) *big.Int {
	l := f.Mul(x, Element{1})
	var b [32]byte
	for i, w := range l {
		for j := range 8 {
			b[31-8*i-j] = byte(w >> (8 * j))
		}
	}
	return new(big.Int).SetBytes(b[:])
}

// Mul is x·y: Montgomery multiplication by operand scanning (CIOS), with
// a fifth word for the carries of a p close to 2^256.
func (f *Field) Mul(x, y Element) Element {
	p0, p1, p2, p3 := f.p[0], f.p[1], f.p[2], f.p[3]
	var t0, t1, t2, t3, t4 uint64
	for _, yi := range y {
		// t += x·yi, with top the carry out of t4.
		var c, top uint64
		t0, c = mulAdd(x[0], yi, t0, 0)
		t1, c = mulAdd(x[1], yi, t1, c)
		t2, c = mulAdd(x[2], yi, t2, c)
		t3, c = mulAdd(x[3], yi, t3, c)
		t4, top = bits.Add64(t4, c, 0)
		// t = (t + m·p) / 2^64, m making the division exact; t < 2^256 + p.
		m := t0 * f.pinv
		_, c = mulAdd(m, p0, t0, 0)
		t0, c = mulAdd(m, p1, t1, c)
		t1, c = mulAdd(m, p2, t2, c)
		t2, c = mulAdd(m, p3, t3, c)
		t3, c = bits.Add64(t4, c, 0)
		t4 = top + c
	}
	// t = (x·y + M·p) / 2^256 < 2p for x < 2^256, y < p and M < 2^256.
	return f.reduce([4]uint64{t0, t1, t2, t3}, t4)
}

// mulAdd is the low and high words of a·b + c + d, which fits in 128 bits.
func mulAdd(a, b, c, d uint64) (lo, hi uint64) {
	hi, lo = bits.Mul64(a, b)
	var carry uint64
	lo, carry = bits.Add64(lo, c, 0)
	hi += carry
	lo, carry = bits.Add64(lo, d, 0)
	hi += carry
	return lo, hi
}

// reduce is t + top·2^256 − p if that is not negative, else t: the value
// mod p when it is below 2p.
func (f *Field) reduce(t [4]uint64, top uint64) Element {
	var s Element
	var b uint64
	for i := range s {
		s[i], b = bits.Sub64(t[i], f.p[i], b)
	}
	// Keep t when t − p borrowed and no top word pays the borrow back.
	keep := -(b &^ top)
	for i := range s {
		s[i] = s[i]&^keep | t[i]&keep
	}
	return s
}

// Square is x².
func (f *Field) Square(x Element) Element { return f.Mul(x, x) }

// Add is x + y.
func (f *Field) Add(x, y Element) Element {
	var t [4]uint64
	var c uint64
	for i := range t {
		t[i], c = bits.Add64(x[i], y[i], c)
	}
	return f.reduce(t, c)
}

// Sub is x − y.
func (f *Field) Sub(x, y Element) Element {
	var z Element
	var b uint64
	for i := range z {
		z[i], b = bits.Sub64(x[i], y[i], b)
	}
	mask := -b // add p back when x < y
	var c uint64
	for i := range z {
		z[i], c = bits.Add64(z[i], f.p[i]&mask, c)
	}
	return z
}

// Neg is −x.
func (f *Field) Neg(x Element) Element { return f.Sub(Element{}, x) }

// Double is 2x.
func (f *Field) Double(x Element) Element { return f.Add(x, x) }

// Inverse is x^(p−2), which is x⁻¹ for a prime p and 0 for x = 0, by
// 4-bit windows of the exponent from the top: 256 squarings and at most 64
// multiplications.
func (f *Field) Inverse(x Element) Element {
	var powers [16]Element // x^j
	powers[0], powers[1] = f.one, x
	for j := 2; j < 16; j++ {
		powers[j] = f.Mul(powers[j-1], x)
	}
	e := f.p
	e[0] -= 2 // p is odd and at least 3: no borrow
	z := f.one
	for i := 63; i >= 0; i-- {
		for range 4 {
			z = f.Square(z)
		}
		if w := e[i/16] >> (4 * (i % 16)) & 15; w != 0 {
			z = f.Mul(z, powers[w])
		}
	}
	return z
}

// IsZero reports whether x is 0.
func (x Element) IsZero() bool { return x[0]|x[1]|x[2]|x[3] == 0 }
