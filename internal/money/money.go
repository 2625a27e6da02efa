// Package money holds amounts as whole kopecks: exact, cheap to add and
// compare, and converted to decimal.Decimal (two places) at the edges.
package money

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Kopecks is an amount of money in hundredths of a ruble.
type Kopecks int64

// MaxRubles bounds parsed amounts well inside int64 and inside the
// numeric(15,2) columns that store them.
const MaxRubles = 1_000_000_000_000

// MaxStored is the largest amount a numeric(15,2) column holds
// (9 999 999 999 999.99): the bound for every stored sum.
const MaxStored Kopecks = 999_999_999_999_999

var (
	ErrEmpty     = errors.New("empty amount")
	ErrSyntax    = errors.New("not a number")
	ErrPrecision = errors.New("more than two decimal places")
	ErrRange     = errors.New("amount too large")
)

// Parse reads an amount as billing and bank exports write it: "1234.5",
// "1 234,50", "1\u00a0234,50", "-10.00". The decimal separator is "." or ",";
// spaces (ordinary, no-break, narrow no-break) may group thousands. Digits
// past the second decimal place must be zeros: nothing is rounded.
func Parse(s string) (Kopecks, error) {
	if k, ok := parsePlain(s); ok {
		return k, nil
	}
	return parseGeneral(s)
}

// parsePlain reads the amount nearly every export row holds, 1 to 12
// digits, the separator and two decimals ("13707,36"), in one pass; ok is
// false for anything else, which parseGeneral reads. Twelve digits stay
// under MaxRubles, so no range check is needed.
func parsePlain(s string) (k Kopecks, ok bool) {
	n := len(s)
	if n < 4 || n > 15 || s[n-3] != ',' && s[n-3] != '.' {
		return 0, false
	}
	var v int64
	for i := 0; i < n; i++ {
		if i == n-3 {
			continue
		}
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int64(d)
	}
	return Kopecks(v), true
}

// parseGeneral is Parse for every form it accepts.
func parseGeneral(s string) (Kopecks, error) {
	rest, neg := cutSign(trimBlank(s))
	a := amount{fracDigits: -1}
	for len(rest) > 0 {
		n := 1
		switch c := rest[0]; {
		case c >= '0' && c <= '9':
			if err := a.digit(int64(c - '0')); err != nil {
				return 0, err
			}
		case c == '.' || c == ',':
			if a.inFrac() || !a.seenDigit {
				return 0, ErrSyntax
			}
			a.fracDigits = 0
		default:
			if n = blank(rest, a.inFrac()); n < 0 {
				return 0, ErrSyntax
			}
		}
		if n == 0 {
			break // trailing blanks
		}
		rest = rest[n:]
	}
	if !a.seenDigit {
		if trimBlank(s) == "" {
			return 0, ErrEmpty
		}
		return 0, ErrSyntax
	}
	return a.kopecks(neg)
}

// trimBlank drops leading spaces and tabs (strings.TrimLeft builds a set
// per call: measurable once per amount of a million-row export).
func trimBlank(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// cutSign takes a leading '-' or '+' off s.
func cutSign(s string) (rest string, neg bool) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		return s[1:], s[0] == '-'
	}
	return s, false
}

// amount is what Parse has read so far.
type amount struct {
	units, frac int64
	fracDigits  int // -1 before the decimal separator
	seenDigit   bool
}

// Four fields at most: the compiler then keeps an amount in registers.

func (a *amount) inFrac() bool { return a.fracDigits >= 0 }

// blank is the length in bytes of the thousands separator s starts with
// (a space, U+00A0 or U+202F; none past the decimal separator), 0 when
// only blanks are left, -1 for anything else.
func blank(s string, inFrac bool) int {
	switch {
	case inFrac:
	case s[0] == ' ':
		return 1
	case strings.HasPrefix(s, "\u00a0"): // no-break space
		return len("\u00a0")
	case strings.HasPrefix(s, "\u202f"): // narrow no-break space
		return len("\u202f")
	}
	if trimBlank(s) == "" {
		return 0
	}
	return -1
}

// digit adds d to the rubles or, past the separator, to the kopecks:
// digits past the second decimal place must be zeros.
func (a *amount) digit(d int64) error {
	a.seenDigit = true
	switch {
	case !a.inFrac():
		if a.units > MaxRubles {
			return ErrRange
		}
		a.units = a.units*10 + d
	case a.fracDigits < 2:
		a.frac = a.frac*10 + d
		a.fracDigits++
	case d != 0:
		return ErrPrecision
	}
	return nil
}

func (a *amount) kopecks(neg bool) (Kopecks, error) {
	frac := a.frac
	for range 2 - max(a.fracDigits, 0) {
		frac *= 10
	}
	if a.units > MaxRubles {
		return 0, ErrRange
	}
	k := Kopecks(a.units*100 + frac)
	if neg {
		k = -k
	}
	return k, nil
}

// Plus adds o, saturating at the int64 bounds: a sum of millions of large
// amounts stays past every limit instead of wrapping around to a plausible one.
func (k Kopecks) Plus(o Kopecks) Kopecks {
	s := k + o
	switch {
	case o > 0 && s < k:
		return math.MaxInt64
	case o < 0 && s > k:
		return math.MinInt64
	}
	return s
}

// String formats the amount with a point and exactly two decimals: "-1234.05".
func (k Kopecks) String() string { return string(k.AppendText(nil)) }

// Decimal converts to a two-place decimal.Decimal.
func (k Kopecks) Decimal() decimal.Decimal { return decimal.New(int64(k), -2) }

// FromDecimal converts a decimal with at most two places; more is an error,
// never a silent rounding.
func FromDecimal(d decimal.Decimal) (Kopecks, error) {
	shifted := d.Shift(2)
	if !shifted.Equal(shifted.Truncate(0)) {
		return 0, ErrPrecision
	}
	if shifted.Abs().GreaterThan(decimal.New(MaxRubles, 2)) {
		return 0, ErrRange
	}
	return Kopecks(shifted.IntPart()), nil
}

// AppendText appends the String form to b without allocating a new string.
func (k Kopecks) AppendText(b []byte) []byte {
	v := int64(k)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.', byte('0'+v%100/10), byte('0'+v%10))
	return b
}
