// Package clock is the time the steps read: the system clock in the
// functions, a manual one in tests, which move time by hand instead of
// sleeping.
package clock

import (
	"sync"
	"time"
)

// Func reads the time. Its zero value reads the system clock, so a
// service's Clock field may be left unset.
type Func func() time.Time

// Now reads f, or the system clock when f is nil.
func (f Func) Now() time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}

// At is a clock stopped at t.
func At(t time.Time) Func { return func() time.Time { return t } }

// Manual is a clock that moves only when told; safe for concurrent use.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a manual clock set to t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now reads the clock.
func (c *Manual) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock.
func (c *Manual) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
