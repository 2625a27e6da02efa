// Package money holds amounts as whole kopecks: exact, cheap to add and
// compare, and converted to decimal.Decimal (two places) at the edges.
package money

import (
	"errors"
	"math"
	"strconv"

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
	var (
		units, frac     int64
		fracDigits      int
		neg, seenDigit  bool
		seenSep, inFrac bool
	)
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			d := int64(c - '0')
			if inFrac {
				if fracDigits >= 2 {
					if d != 0 {
						return 0, ErrPrecision
					}
					continue
				}
				frac = frac*10 + d
				fracDigits++
				continue
			}
			if units > MaxRubles {
				return 0, ErrRange
			}
			units = units*10 + d
		case c == '.' || c == ',':
			if seenSep || !seenDigit {
				return 0, ErrSyntax
			}
			seenSep, inFrac = true, true
		case c == ' ' && !inFrac:
			// thousands separator
		case c == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0 && !inFrac: // U+00A0
			i++
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0xAF && !inFrac: // U+202F
			i += 2
		default:
			if c == ' ' || c == '\t' { // trailing blanks
				if rest := trimBlank(s[i:]); rest == "" {
					i = len(s)
					continue
				}
			}
			return 0, ErrSyntax
		}
	}
	if !seenDigit {
		if len(trimBlank(s)) == 0 {
			return 0, ErrEmpty
		}
		return 0, ErrSyntax
	}
	for ; fracDigits < 2; fracDigits++ {
		frac *= 10
	}
	if units > MaxRubles {
		return 0, ErrRange
	}
	k := Kopecks(units*100 + frac)
	if neg {
		k = -k
	}
	return k, nil
}

func trimBlank(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
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
