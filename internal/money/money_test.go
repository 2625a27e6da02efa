package money

import (
	"errors"
	"math"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Kopecks
		err  error
	}{
		{"0", 0, nil},
		{"1234.5", 123450, nil},
		{"1234,50", 123450, nil},
		{"1 234,50", 123450, nil},
		{"1\u00a0234,56", 123456, nil},
		{"1\u202f234.56", 123456, nil},
		{" 12.3 ", 1230, nil},
		{"-10.01", -1001, nil},
		{"+7", 700, nil},
		{"0.10", 10, nil},
		{"10.500", 1050, nil},
		{"999999999999.99", 99999999999999, nil},
		{"10.555", 0, ErrPrecision},
		{"10.001", 0, ErrPrecision},
		{"", 0, ErrEmpty},
		{"  ", 0, ErrEmpty},
		{"abc", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"1,2,3", 0, ErrSyntax},
		{",5", 0, ErrSyntax},
		{"12 3,4 5", 0, ErrSyntax},
		{"1e5", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{"100000000000000", 0, ErrRange},
		{"1000000000001", 0, ErrRange}, // one digit past the bound, caught at the end
		{"\t7\t", 700, nil},            // tabs around, not inside
		{"1 234 ", 123400, nil},        // a trailing space before the separator groups nothing
		{"12.\t", 1200, nil},
		{"12,3\u00a0", 0, ErrSyntax}, // no grouping in the kopecks
		{"12\t3", 0, ErrSyntax},
		{"- 5", -500, nil}, // a space after the sign groups nothing either
		{"\u00a0", 0, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestStringAndDecimal(t *testing.T) {
	for _, tt := range []struct {
		k    Kopecks
		want string
	}{{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {123456, "1234.56"}, {-100, "-1.00"}} {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", tt.k, got, tt.want)
		}
		if got := tt.k.Decimal().StringFixed(2); got != tt.want {
			t.Errorf("%d.Decimal() = %q, want %q", tt.k, got, tt.want)
		}
		back, err := FromDecimal(tt.k.Decimal())
		if err != nil || back != tt.k {
			t.Errorf("FromDecimal(%s) = %d, %v", tt.want, back, err)
		}
	}
	if _, err := FromDecimal(decimal.RequireFromString("0.005")); !errors.Is(err, ErrPrecision) {
		t.Errorf("FromDecimal(0.005) error = %v, want ErrPrecision", err)
	}
}

// Sums that binary floating point gets wrong stay exact.
func TestExactSums(t *testing.T) {
	a, _ := Parse("0.10")
	b, _ := Parse("0.20")
	c, _ := Parse("0.30")
	if a+b != c {
		t.Fatalf("0.10 + 0.20 = %s, want 0.30", a+b)
	}
}

func TestPlusSaturates(t *testing.T) {
	big := Kopecks(math.MaxInt64 - 5)
	if got := big.Plus(10); got != math.MaxInt64 {
		t.Errorf("overflow: %d, want the int64 maximum", got)
	}
	if got := Kopecks(math.MinInt64 + 5).Plus(-10); got != math.MinInt64 {
		t.Errorf("underflow: %d, want the int64 minimum", got)
	}
	if got := Kopecks(150).Plus(-50); got != 100 {
		t.Errorf("150 + -50 = %d", got)
	}
	if MaxStored.String() != "9999999999999.99" {
		t.Errorf("MaxStored = %s, want numeric(15,2)'s largest", MaxStored)
	}
}

// The one-pass reading of the usual amount must agree with the general
// one on value and error, for it and for everything near it.
func FuzzParsePlainAgreesWithGeneral(f *testing.F) {
	for _, s := range []string{
		"13707,36", "0,00", "0.01", "1,5", "1,500", "12,345", ",12", "1,", "1.2.3", "-10,00", "+1,00", " 1,00", "1,00 ",
		"1 234,50", "1\u00a0234,50", "999999999999,99", "1000000000000,00", "9999999999999,99", "00000000000000,01",
		"1a,00", "1,0a", "1;00", "١,00", "1/,00", "1:,00", "12345678901234567890,00", "", "   ", "x,yz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := Parse(s)
		want, wantErr := parseGeneral(s)
		if got != want || !errors.Is(gotErr, wantErr) && gotErr != wantErr {
			t.Fatalf("Parse(%q) = %v, %v; the general reading: %v, %v", s, got, gotErr, want, wantErr)
		}
		if k, ok := parsePlain(s); ok && (wantErr != nil || k != want) {
			t.Fatalf("parsePlain(%q) = %v, but the general reading says %v, %v", s, k, want, wantErr)
		}
	})
}
