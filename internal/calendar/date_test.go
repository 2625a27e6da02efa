package calendar

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-21", "2026-11-21", true},
		{"21.11.2026", "2026-11-21", true},
		{" 01.01.2024 ", "2024-01-01", true},
		{"29.02.2024", "2024-02-29", true},
		{"29.02.2023", "", false},
		{"2026-13-01", "", false},
		{"2026-11-31", "", false},
		{"00.11.2026", "", false},
		{"21/11/2026", "", false},
		{"2026-1-21", "", false},
		{"", "", false},
		{"21.11.26", "", false},
		{"2026-11-2x", "", false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseDate(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && got.String() != tt.want {
			t.Errorf("ParseDate(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFromTimeUsesMoscow(t *testing.T) {
	// 22:30 UTC on the 21st is already the 22nd in Moscow.
	got := FromTime(time.Date(2026, 11, 21, 22, 30, 0, 0, time.UTC))
	if got.String() != "2026-11-22" {
		t.Fatalf("FromTime = %s, want 2026-11-22", got)
	}
}

// The fast path agrees with time.Date on every day of two centuries.
func TestDaysFromCivilMatchesTime(t *testing.T) {
	for d := FromYMD(1900, 1, 1); d < FromYMD(2100, 12, 31); d++ {
		y, m, dd := d.Time().Date()
		if got := daysFromCivil(y, int(m), dd); got != d {
			t.Fatalf("daysFromCivil(%d-%d-%d) = %d, want %d", y, m, dd, got, d)
		}
	}
}
