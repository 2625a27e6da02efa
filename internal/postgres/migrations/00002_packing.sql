-- +goose Up

-- Why the packer held a reconciled payment back instead of sending it
-- (a value GIS requires is missing or malformed). NULL: not held.
ALTER TABLE recon_row ADD COLUMN hold_reason text;

-- payment is a bulk table too (300 000 rows a run, loaded with COPY); its
-- per-row foreign-key triggers would cost seconds. The packer inserts
-- payments only in the transaction that creates their packages, and checks
-- every reference there with one set-based query (store.checkPaymentRefs).
ALTER TABLE payment
    DROP CONSTRAINT payment_run_id_fkey,
    DROP CONSTRAINT payment_organization_id_fkey,
    DROP CONSTRAINT payment_recon_row_id_fkey,
    DROP CONSTRAINT payment_package_id_fkey;

-- A run whose every payment was held back has nothing to send but needs a
-- person: it ends finished_with_errors straight from reconciliation.
INSERT INTO status_transition (entity, from_status, to_status) VALUES ('run', 'reconciling', 'finished_with_errors');

-- +goose Down
DELETE FROM status_transition WHERE entity = 'run' AND from_status = 'reconciling' AND to_status = 'finished_with_errors';
ALTER TABLE payment
    ADD CONSTRAINT payment_run_id_fkey FOREIGN KEY (run_id) REFERENCES run,
    ADD CONSTRAINT payment_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organization,
    ADD CONSTRAINT payment_recon_row_id_fkey FOREIGN KEY (recon_row_id) REFERENCES recon_row,
    ADD CONSTRAINT payment_package_id_fkey FOREIGN KEY (package_id) REFERENCES package;
ALTER TABLE recon_row DROP COLUMN hold_reason;
