package clock

import (
	"testing"
	"time"
)

// The zero Func is the system clock; a set one is read; a manual clock
// moves only when told.
func TestFunc(t *testing.T) {
	before := time.Now()
	if got := Func(nil).Now(); got.Before(before) {
		t.Errorf("nil Func read %v, before %v", got, before)
	}
	at := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	if got := At(at).Now(); !got.Equal(at) {
		t.Errorf("At read %v", got)
	}
	m := NewManual(at)
	m.Add(time.Minute)
	if got := Func(m.Now).Now(); !got.Equal(at.Add(time.Minute)) {
		t.Errorf("manual clock read %v", got)
	}
}
