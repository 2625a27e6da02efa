package xmltext

import "testing"

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
