-- +goose Up

-- Cancellation (importNotificationsOfOrderExecutionCancellation): a loaded
-- payment is taken back out of GIS. A request is registered first (from a
-- cancellations export, a refund, or the admin command), then packed into
-- packages of at most 500 by a run of kind 'cancellations', signed, sent and
-- polled like imports.
ALTER TABLE run ADD COLUMN kind text NOT NULL DEFAULT 'payments' CHECK (kind IN ('payments', 'cancellations'));

ALTER TABLE package DROP CONSTRAINT package_operation_check;
ALTER TABLE package ADD CONSTRAINT package_operation_check CHECK (operation IN ('importNotificationsOfOrderExecution',
    'importSupplierNotificationsOfOrderExecution', 'importNotificationsOfOrderExecutionCancellation'));
ALTER TABLE package ADD CONSTRAINT package_cancellations_max
    CHECK (operation <> 'importNotificationsOfOrderExecutionCancellation' OR payments <= 500);

-- A payment's own statuses while it is being taken back: cancel_requested
-- (a request is registered), cancelled, cancel_rejected (GIS refused: the
-- payment stays loaded; a new request may follow), cancel_unknown (no
-- definite answer: GIS may or may not have cancelled it; never re-sent
-- automatically). The request itself says why (cancellation.reason).
ALTER TABLE payment DROP CONSTRAINT payment_status_check;
ALTER TABLE payment ADD CONSTRAINT payment_status_check
    CHECK (status IN ('queued', 'sent', 'imported', 'already_imported', 'rejected', 'error', 'unknown',
                      'cancel_requested', 'cancelled', 'cancel_rejected', 'cancel_unknown'));

-- A payment being cancelled, or cancelled, still holds its order: a later
-- export of the same order is not loaded again.
DROP INDEX payment_once;
CREATE UNIQUE INDEX payment_once ON payment (organization_id, order_id)
    WHERE status IN ('queued', 'sent', 'imported', 'already_imported', 'unknown',
                     'cancel_requested', 'cancelled', 'cancel_rejected', 'cancel_unknown');

CREATE TABLE cancellation (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id   bigint NOT NULL REFERENCES organization,
    -- export: incoming/cancellations/<org>/<file>; refund: a bank registry's
    -- refund row; admin: the admin command. source_ref names the exact
    -- origin (file@etag:line, run/recon row, the caller's request), so
    -- registering the same origin twice registers it once.
    source            text NOT NULL CHECK (source IN ('export', 'refund', 'admin')),
    source_ref        text NOT NULL CHECK (source_ref <> ''),
    order_id          text,              -- the payment's order id, as asked or as found
    payment_id        bigint REFERENCES payment,
    -- the OrderID sent to GIS: the payment's own OrderID for bank
    -- notifications (ufkr), the UniqueNumber GIS returned on import for
    -- supplier notifications (uk_rso)
    gis_order_id      text CHECK (length(gis_order_id) BETWEEN 1 AND 32),
    cancellation_date date NOT NULL,
    comment           text CHECK (length(comment) BETWEEN 1 AND 210),
    -- requested → queued → sent → cancelled | rejected | unknown; refused:
    -- never sent (no such payment, not loaded, no UniqueNumber, …)
    status            text NOT NULL CHECK (status IN ('requested', 'refused', 'queued', 'sent', 'cancelled', 'rejected', 'unknown')),
    reason            text,
    run_id            bigint REFERENCES run,
    package_id        bigint REFERENCES package,
    transport_guid    uuid UNIQUE,
    gis_guid          uuid,
    cancelled_at      timestamptz,
    error_code        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, source, source_ref),
    CHECK (status NOT IN ('refused', 'rejected', 'unknown') OR reason IS NOT NULL),
    CHECK (status = 'refused' OR (payment_id IS NOT NULL AND gis_order_id IS NOT NULL)),
    CHECK (status IN ('requested', 'refused') OR (package_id IS NOT NULL AND transport_guid IS NOT NULL))
);
-- One open request per payment.
CREATE UNIQUE INDEX cancellation_open ON cancellation (payment_id) WHERE status IN ('requested', 'queued', 'sent');
CREATE INDEX cancellation_requested ON cancellation (organization_id) WHERE status = 'requested';
CREATE INDEX cancellation_package ON cancellation (package_id);
CREATE INDEX cancellation_run ON cancellation (run_id);

CREATE TRIGGER cancellation_status BEFORE UPDATE OF status ON cancellation
    FOR EACH ROW EXECUTE FUNCTION enforce_status_transition();
CREATE TRIGGER cancellation_initial AFTER INSERT ON cancellation REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enforce_initial_status();

INSERT INTO status_transition (entity, from_status, to_status) VALUES
    ('payment', 'imported', 'cancel_requested'),
    ('payment', 'already_imported', 'cancel_requested'),
    ('payment', 'cancel_requested', 'cancelled'),
    ('payment', 'cancel_requested', 'cancel_rejected'),
    ('payment', 'cancel_requested', 'cancel_unknown'),
    -- a later definite answer settles an unknown cancellation
    ('payment', 'cancel_unknown', 'cancelled'),
    ('payment', 'cancel_unknown', 'cancel_rejected'),
    -- a person may ask again (a second cancel of a cancelled order is refused or a no-op)
    ('payment', 'cancel_rejected', 'cancel_requested'),
    ('payment', 'cancel_unknown', 'cancel_requested'),
    ('cancellation', '', 'requested'),
    ('cancellation', '', 'refused'),
    ('cancellation', 'requested', 'queued'),
    ('cancellation', 'queued', 'sent'),
    ('cancellation', 'queued', 'rejected'),
    ('cancellation', 'queued', 'unknown'),
    ('cancellation', 'sent', 'cancelled'),
    ('cancellation', 'sent', 'rejected'),
    ('cancellation', 'sent', 'unknown'),
    ('cancellation', 'unknown', 'cancelled'),
    ('cancellation', 'unknown', 'rejected');

-- +goose Down
DELETE FROM status_transition WHERE entity = 'cancellation'
    OR (entity = 'payment' AND (from_status LIKE 'cancel%' OR to_status LIKE 'cancel%'));
DROP TABLE cancellation;
DROP INDEX payment_once;
CREATE UNIQUE INDEX payment_once ON payment (organization_id, order_id)
    WHERE status IN ('queued', 'sent', 'imported', 'already_imported', 'unknown');
ALTER TABLE payment DROP CONSTRAINT payment_status_check;
ALTER TABLE payment ADD CONSTRAINT payment_status_check
    CHECK (status IN ('queued', 'sent', 'imported', 'already_imported', 'rejected', 'error', 'unknown'));
ALTER TABLE package DROP CONSTRAINT package_cancellations_max;
ALTER TABLE package DROP CONSTRAINT package_operation_check;
ALTER TABLE package ADD CONSTRAINT package_operation_check CHECK (operation IN ('importNotificationsOfOrderExecution',
    'importSupplierNotificationsOfOrderExecution'));
ALTER TABLE run DROP COLUMN kind;
