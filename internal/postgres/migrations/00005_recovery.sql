-- +goose Up

-- unknown: GIS gave no definite answer about a payment (a doubtful
-- getState reply, a refusal after an earlier send whose reply was lost, an
-- error code nobody has classified). GIS may hold it, so nothing re-sends
-- it automatically: supplier notifications carry no OrderID and a resend
-- would be a second payment. An operator decides; a later definite answer
-- still settles it.
ALTER TABLE payment DROP CONSTRAINT payment_status_check;
ALTER TABLE payment ADD CONSTRAINT payment_status_check
    CHECK (status IN ('queued', 'sent', 'imported', 'already_imported', 'rejected', 'error', 'unknown'));
ALTER TABLE payment DROP CONSTRAINT payment_check1;
ALTER TABLE payment ADD CONSTRAINT payment_error_reason CHECK (status NOT IN ('rejected', 'error', 'unknown') OR error IS NOT NULL);

-- The same order's attempt: 1 for its first payment row, one more for each
-- run that took it again after a retryable error. At the cap an error is
-- final (rejected), so nothing is retried without end.
ALTER TABLE payment ADD COLUMN attempt smallint NOT NULL DEFAULT 1 CHECK (attempt >= 1);

-- An unknown payment may be held by GIS: it keeps its order, like a live one.
DROP INDEX payment_once;
CREATE UNIQUE INDEX payment_once ON payment (organization_id, order_id)
    WHERE status IN ('queued', 'sent', 'imported', 'already_imported', 'unknown');

-- The packer's retry looks up an order's failed payments; they are few.
CREATE INDEX payment_failed ON payment (organization_id, order_id) WHERE status IN ('error', 'rejected');

-- A package GIS answered doubtfully too often ends unknown; doubts counts
-- those answers (reset by a clear one). uncertain_sends counts posts whose
-- reply was lost or unreadable: a refusal after one of them does not prove
-- GIS lacks the package. last_send_at lets the sweep leave a package alone
-- while a sender may still be posting it.
ALTER TABLE package DROP CONSTRAINT package_status_check;
ALTER TABLE package ADD CONSTRAINT package_status_check
    CHECK (status IN ('built', 'signed', 'sent', 'processing', 'done', 'failed', 'unknown'));
ALTER TABLE package
    ADD COLUMN doubts integer NOT NULL DEFAULT 0,
    ADD COLUMN uncertain_sends integer NOT NULL DEFAULT 0,
    ADD COLUMN last_send_at timestamptz;
-- The sweep sends signed packages their run left behind.
CREATE INDEX package_unsent ON package (status, last_send_at) WHERE status = 'signed';

INSERT INTO status_transition (entity, from_status, to_status) VALUES
    ('payment', 'sent', 'unknown'),
    ('payment', 'queued', 'unknown'),
    ('payment', 'unknown', 'imported'),
    ('payment', 'unknown', 'already_imported'),
    ('payment', 'unknown', 'rejected'),
    ('package', 'signed', 'unknown'),
    ('package', 'sent', 'unknown'),
    ('package', 'processing', 'unknown'),
    ('package', 'unknown', 'done'),
    -- a run that failed or stopped waiting still settles when the sweep
    -- brings its packages in
    ('run', 'failed', 'finished'),
    ('run', 'failed', 'finished_with_errors'),
    ('run', 'packing', 'timed_out');

-- +goose Down
DELETE FROM status_transition WHERE (entity, from_status, to_status) IN (
    ('payment', 'sent', 'unknown'), ('payment', 'queued', 'unknown'), ('payment', 'unknown', 'imported'),
    ('payment', 'unknown', 'already_imported'), ('payment', 'unknown', 'rejected'),
    ('package', 'signed', 'unknown'), ('package', 'sent', 'unknown'), ('package', 'processing', 'unknown'),
    ('package', 'unknown', 'done'),
    ('run', 'failed', 'finished'), ('run', 'failed', 'finished_with_errors'), ('run', 'packing', 'timed_out'));
DROP INDEX package_unsent;
ALTER TABLE package DROP COLUMN last_send_at, DROP COLUMN uncertain_sends, DROP COLUMN doubts;
ALTER TABLE package DROP CONSTRAINT package_status_check;
ALTER TABLE package ADD CONSTRAINT package_status_check
    CHECK (status IN ('built', 'signed', 'sent', 'processing', 'done', 'failed'));
DROP INDEX payment_once;
CREATE UNIQUE INDEX payment_once ON payment (organization_id, order_id)
    WHERE status IN ('queued', 'sent', 'imported', 'already_imported');
DROP INDEX payment_failed;
ALTER TABLE payment DROP COLUMN attempt;
ALTER TABLE payment DROP CONSTRAINT payment_error_reason;
ALTER TABLE payment ADD CONSTRAINT payment_check1 CHECK (status NOT IN ('rejected', 'error') OR error IS NOT NULL);
ALTER TABLE payment DROP CONSTRAINT payment_status_check;
ALTER TABLE payment ADD CONSTRAINT payment_status_check
    CHECK (status IN ('queued', 'sent', 'imported', 'already_imported', 'rejected', 'error'));
