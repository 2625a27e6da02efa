-- +goose Up

-- Each organisation's matching rules (README "Matching rules"): the date in
-- the key or not (the source system matches on bill, supplier and service
-- and takes the date from the bank row), how many days apart the billing and
-- the bank date of a match may be, strict mode (any bad row fails its file,
-- as before), and the share of a file's rows that may be held for row-level
-- problems before the file fails.
ALTER TABLE organization
    ADD COLUMN match_key_with_date boolean NOT NULL DEFAULT false,
    ADD COLUMN match_window_days   smallint NOT NULL DEFAULT 3 CHECK (match_window_days BETWEEN 0 AND 31),
    ADD COLUMN strict_rows         boolean NOT NULL DEFAULT false,
    ADD COLUMN max_bad_share       numeric(5,4) NOT NULL DEFAULT 0.01 CHECK (max_bad_share BETWEEN 0 AND 1);

-- New outcomes of a recon row:
--   check_split     one of several bank rows whose sum equals one billing row
--                   (the billing row's amounts are on each); each is a payment
--   refund          a bank row returning money (negative amount or a refund
--                   marker), amounts stored positive; never a payment, a
--                   candidate for cancellation (order_id, order_date, amount)
--   held            a row with a row-level problem: hold_reason says which,
--                   one side only, with what could be read (day and amounts
--                   may be missing)
ALTER TABLE recon_row
    DROP CONSTRAINT recon_row_status_check,
    DROP CONSTRAINT recon_row_check,
    DROP CONSTRAINT recon_row_check1,
    DROP CONSTRAINT recon_row_check2,
    ALTER COLUMN day DROP NOT NULL,
    ADD CONSTRAINT recon_row_status_check CHECK (status IN ('check', 'check_split', 'mismatch', 'billing_only',
        'acquiring_only', 'refund', 'held')),
    ADD CONSTRAINT recon_row_billing_side CHECK (status = 'held'
        OR (billing_file_id IS NULL) = (status IN ('acquiring_only', 'refund'))),
    ADD CONSTRAINT recon_row_acquiring_side CHECK (status = 'held'
        OR (acquiring_file_id IS NULL) = (status = 'billing_only')),
    ADD CONSTRAINT recon_row_order CHECK (status = 'held' OR (acquiring_file_id IS NULL) = (order_id IS NULL)),
    ADD CONSTRAINT recon_row_held CHECK (status <> 'held'
        OR (hold_reason IS NOT NULL AND (billing_file_id IS NULL) <> (acquiring_file_id IS NULL))),
    ADD CONSTRAINT recon_row_day CHECK (day IS NOT NULL OR status = 'held'),
    ADD CONSTRAINT recon_row_split CHECK (status <> 'check_split'
        OR acquiring_main + acquiring_fine < billing_main + billing_fine);

-- A run's rows outside the days' counts.
ALTER TABLE run
    ADD COLUMN held_rows  integer NOT NULL DEFAULT 0 CHECK (held_rows >= 0),
    ADD COLUMN refunds    integer NOT NULL DEFAULT 0 CHECK (refunds >= 0),
    ADD COLUMN refund_sum numeric(15,2) NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE run DROP COLUMN held_rows, DROP COLUMN refunds, DROP COLUMN refund_sum;
DELETE FROM recon_row WHERE status IN ('check_split', 'refund', 'held');
ALTER TABLE recon_row
    DROP CONSTRAINT recon_row_status_check,
    DROP CONSTRAINT recon_row_billing_side,
    DROP CONSTRAINT recon_row_acquiring_side,
    DROP CONSTRAINT recon_row_order,
    DROP CONSTRAINT recon_row_held,
    DROP CONSTRAINT recon_row_day,
    DROP CONSTRAINT recon_row_split,
    ALTER COLUMN day SET NOT NULL,
    ADD CONSTRAINT recon_row_status_check CHECK (status IN ('check', 'mismatch', 'billing_only', 'acquiring_only')),
    ADD CONSTRAINT recon_row_check CHECK ((billing_file_id IS NULL) = (status = 'acquiring_only')),
    ADD CONSTRAINT recon_row_check1 CHECK ((acquiring_file_id IS NULL) = (status = 'billing_only')),
    ADD CONSTRAINT recon_row_check2 CHECK ((acquiring_file_id IS NULL) = (order_id IS NULL));
ALTER TABLE organization DROP COLUMN match_key_with_date, DROP COLUMN match_window_days, DROP COLUMN strict_rows,
    DROP COLUMN max_bad_share;
