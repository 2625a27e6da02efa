package ratelimit_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/ratelimit"
)

// Senders in separate invocations (each its own pool and Limiter), all
// asking at once on a manual clock, get their requests spread so that no
// simulated second carries more than the rate, after the first second's
// burst; nothing sleeps.
func TestConcurrentSendersShareTheRate(t *testing.T) {
	_, url := pgtest.New(t)
	const senders, each, rate, burst = 8, 30, 10, 10
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0 }
	var mu sync.Mutex
	var grants []time.Time
	var wg sync.WaitGroup
	for range senders {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		l := &ratelimit.Limiter{Pool: pool, Name: "gis", Rate: rate, Burst: burst, Clock: clock}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				at, err := l.Reserve(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				grants = append(grants, at)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(grants) != senders*each {
		t.Fatalf("%d grants", len(grants))
	}
	perSecond := map[int]int{}
	for _, g := range grants {
		perSecond[int(g.Sub(t0)/time.Second)]++
	}
	for s, n := range perSecond {
		if limit := map[bool]int{true: burst + rate, false: rate}[s == 0]; n > limit {
			t.Errorf("second %d: %d requests, more than %d", s, n, limit)
		}
	}
	sort.Slice(grants, func(i, j int) bool { return grants[i].Before(grants[j]) })
	if last, want := grants[len(grants)-1].Sub(t0), time.Duration(senders*each-burst)*time.Second/rate; last != want {
		t.Errorf("the last request goes after %v, want %v: the rate is not used to the full", last, want)
	}
}

// After a quiet spell the bucket holds its burst and no more; Wait sleeps
// the deficit it was given, through the injected sleep.
func TestQuietSpellRefillsToTheBurst(t *testing.T) {
	store, _ := pgtest.New(t)
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	var slept []time.Duration
	l := &ratelimit.Limiter{Pool: store.Pool, Name: "gis", Rate: 2, Burst: 3, Clock: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	for range 4 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Hour)
	for range 5 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if len(slept) != len(want) || slept[0] != want[0] || slept[1] != want[1] || slept[2] != want[2] {
		t.Errorf("slept %v, want %v (one over the burst, then after an hour two over)", slept, want)
	}
}
