-- +goose Up

-- The packer COPYs its payments straight into payment and checks their
-- references afterwards with one query over the run's new rows
-- (postgres.checkReferences): the staging table's INSERT … SELECT inserted
-- row by row, with one WAL record each: for 300 000 payments it cost the
-- backend 4.2-5.5 s of CPU with the staging, against 3.5 s for the COPY
-- and the check.
DROP TABLE payment_load;

-- +goose Down
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
