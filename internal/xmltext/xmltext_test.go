package xmltext

import (
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"Оплата «ЖКУ» & <пени>":  "Оплата «ЖКУ» & <пени>",
		"a\r\nb":                 "a b",
		"a\r\rb\n":               "a  b ",
		"a\tb\vc\x1bd\x00e":      "a b c d e",
		"a\ufffeb\uffffc":        "a b c",
		"a\xffb\xd0":             "a b ",
		"\u00a0\u2028\U0001F600": "\u00a0\u2028\U0001F600", // allowed by XML 1.0
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
		if i, _ := Unsafe(want); i >= 0 {
			t.Errorf("Line(%q) left an unsafe character at %d", in, i)
		}
	}
	if i, r := Unsafe("ЛС\v1"); i != 4 || r != '\v' {
		t.Errorf("Unsafe = %d, %U", i, r)
	}
}

func BenchmarkLineClean(b *testing.B) {
	s := "Взнос на капитальный ремонт за октябрь 2026 г., лицевой счёт 000123"
	for b.Loop() {
		Line(s)
	}
}

// The two-byte fast path must judge every lead and continuation byte as
// decoding rune by rune does, cut sequences included.
func TestUnsafeAgreesRuneByRune(t *testing.T) {
	reference := func(s string) (int, rune) {
		for i, r := range s {
			if size := utf8.RuneLen(r); r == utf8.RuneError {
				if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
					return i, r
				}
			} else if unsafe(r, size) {
				return i, r
			}
		}
		return -1, 0
	}
	for b1 := 0x80; b1 < 0x100; b1++ {
		for b2 := 0; b2 < 0x100; b2++ {
			for _, s := range []string{"a" + string([]byte{byte(b1), byte(b2)}) + "z", "a" + string([]byte{byte(b1)})} {
				gi, gr := Unsafe(s)
				wi, wr := reference(s)
				if gi != wi || gr != wr {
					t.Fatalf("Unsafe(%q) = %d, %U; rune by rune %d, %U", s, gi, gr, wi, wr)
				}
			}
		}
	}
}
