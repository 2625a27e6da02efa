-- +goose Up

-- The packer's payments arrive here first, with COPY: no indexes, no
-- triggers, no WAL. One INSERT … SELECT then moves them into payment,
-- keeping only rows whose package, recon row and runs exist (the reference
-- check folded into the load), and deletes them here in the same
-- transaction: nobody else ever sees a row of this table.
CREATE UNLOGGED TABLE payment_load (
    run_id          bigint NOT NULL,
    organization_id bigint NOT NULL,
    recon_row_id    bigint NOT NULL,
    order_id        text NOT NULL,
    amount          numeric(15,2) NOT NULL,
    transport_guid  uuid NOT NULL,
    package_id      bigint NOT NULL,
    attempt         smallint NOT NULL,
    n               integer NOT NULL -- the plan's order, which payment ids keep
);

-- The recon rows that payments still need: retention never deletes them.
-- An error payment is retried by a later run from its row, an unknown one
-- is resolved by an operator. Queued and sent payments need not be here
-- (the packer's COPY would pay for it): a run's own are settled before
-- retention looks at the run, and a retried payment's row is the row of
-- the error payment it retries, which stays error for good.
CREATE INDEX payment_open_recon_row ON payment (recon_row_id)
    WHERE status IN ('error', 'unknown');

-- One token bucket per name for requests to GIS, shared by every sender and
-- poller invocation (internal/ratelimit).
CREATE TABLE rate_bucket (
    name     text PRIMARY KEY,
    tokens   double precision NOT NULL,
    at       timestamptz NOT NULL
);

-- When retention deleted the run's reconciliation rows (RetireReconRows).
ALTER TABLE run ADD COLUMN recon_retired_at timestamptz;

-- +goose Down
ALTER TABLE run DROP COLUMN recon_retired_at;
DROP TABLE rate_bucket;
DROP INDEX payment_open_recon_row;
DROP TABLE payment_load;
