// Package ratelimit is a token bucket in Postgres, shared by every
// invocation of every function that calls GIS: GIS_RATE_PER_SECOND holds
// across the Map's concurrent senders and the pollers, where
// golang.org/x/time/rate held per invocation only.
//
// Each request reserves a token with one atomic UPDATE of the bucket's
// row: refill by the time passed, take one, and let the balance go
// negative; a negative balance is a queue, and the request waits its share
// of it (deficit / rate) before it goes. One round trip per request, no
// lock held while waiting, and requests go in the order they reserved.
// (Advisory locks would hold a connection per waiter; a table of
// timestamps would need a scan per request.) A waiter whose context ends
// has still spent its token: the limit errs on the slow side.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limiter is one named bucket.
type Limiter struct {
	Pool *pgxpool.Pool
	Name string  // the bucket: "gis" for every request to GIS
	Rate float64 // tokens per second, > 0
	// Burst is how many requests may go at once after a quiet spell;
	// 0: one second's worth (at least 1).
	Burst float64
	Clock clock.Func // the clock that stamps the bucket; nil: the system clock
	// Sleep waits d or until ctx ends; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Wait blocks until the caller may send one request.
func (l *Limiter) Wait(ctx context.Context) error {
	at, err := l.Reserve(ctx)
	if err != nil {
		return err
	}
	if d := at.Sub(l.Clock.Now()); d > 0 {
		return l.sleep(ctx, d)
	}
	return nil
}

// Reserve takes a token and returns when the request it stands for may go.
func (l *Limiter) Reserve(ctx context.Context) (time.Time, error) {
	now := l.Clock.Now()
	burst := l.Burst
	if burst <= 0 {
		burst = max(1, l.Rate)
	}
	var tokens float64
	err := l.Pool.QueryRow(ctx, `
		INSERT INTO rate_bucket AS b (name, tokens, at) VALUES ($1, $3::float8 - 1, $2)
		ON CONFLICT (name) DO UPDATE SET
			tokens = least($3::float8, b.tokens + $4::float8 * greatest(0, extract(epoch FROM $2::timestamptz - b.at))) - 1,
			at = greatest(b.at, $2)
		RETURNING tokens`, l.Name, now, burst, l.Rate).Scan(&tokens)
	if err != nil {
		return time.Time{}, fmt.Errorf("ratelimit %s: %w", l.Name, err)
	}
	if tokens >= 0 {
		return now, nil
	}
	return now.Add(time.Duration(-tokens / l.Rate * float64(time.Second))), nil
}

func (l *Limiter) sleep(ctx context.Context, d time.Duration) error {
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
