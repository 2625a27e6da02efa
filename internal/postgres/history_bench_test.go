package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// BenchmarkHistory300k is what the status history costs the sender's and
// poller's updates of 300 000 payments (the packer's insert writes none:
// a payment's creation is implied): the same statements with the update
// trigger on and off, each in a transaction rolled back.
func BenchmarkHistory300k(b *testing.B) {
	st, _ := pgtest.New(b)
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		name := "without"
		if on {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				err := pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
					if !on {
						if _, err := tx.Exec(ctx, `ALTER TABLE payment DISABLE TRIGGER payment_history_update`); err != nil {
							return err
						}
					}
					if _, err := tx.Exec(ctx, `INSERT INTO payment (run_id, organization_id, recon_row_id, order_id, amount,
							transport_guid, status) SELECT 1, 1, i, 'order-' || i, 100, gen_random_uuid(), 'queued'
						FROM generate_series(1, 300000) AS i`); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `UPDATE payment SET status = 'error', error = 'x'`); err != nil {
						return err
					}
					return errRollback
				})
				if err != errRollback {
					b.Fatal(err)
				}
			}
		})
	}
}
