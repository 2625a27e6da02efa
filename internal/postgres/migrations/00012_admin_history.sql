-- +goose Up

-- Every status a payment takes, with why. The cause is what the writing
-- transaction put in the session setting gis.cause (set_config(..., true):
-- it ends with the transaction), e.g. "getState of package 12" or
-- "resend by alice: bank confirmed"; a write that set none is recorded as
-- "unrecorded". The triggers are statement-level with transition tables:
-- the packer COPYs 300 000 payments in one statement and the poller updates
-- hundreds at once, so one INSERT … SELECT per statement, never one per row.
-- No primary key: it would be a second index to fill per row; id orders a
-- payment's changes within one transaction, where at (now()) is the same.
CREATE TABLE payment_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    payment_id  bigint NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    cause       text NOT NULL
);
CREATE INDEX payment_status_history_payment ON payment_status_history (payment_id, id);

-- +goose StatementBegin
CREATE FUNCTION record_payment_inserts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payment_status_history (payment_id, from_status, to_status, cause)
    SELECT n.id, NULL, n.status, coalesce(nullif(current_setting('gis.cause', true), ''), 'unrecorded')
    FROM inserted n;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION record_payment_updates() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payment_status_history (payment_id, from_status, to_status, cause)
    SELECT n.id, o.status, n.status, coalesce(nullif(current_setting('gis.cause', true), ''), 'unrecorded')
    FROM updated n JOIN previous o ON o.id = n.id
    WHERE n.status <> o.status;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER payment_history_insert AFTER INSERT ON payment REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION record_payment_inserts();
-- Transition tables forbid a column list (UPDATE OF status): every update
-- statement is looked at, and only changed statuses are written.
CREATE TRIGGER payment_history_update AFTER UPDATE ON payment REFERENCING OLD TABLE AS previous NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION record_payment_updates();

-- An operator's request to send a payment again (gispay resend): who, why,
-- and for an unknown payment that they confirmed GIS does not hold it. The
-- packer's retry path takes the order again in the organisation's next run,
-- as one more attempt; a later payment of the order ends the request.
CREATE TABLE payment_resend (
    payment_id           bigint PRIMARY KEY,
    organization_id      bigint NOT NULL REFERENCES organization,
    order_id             text NOT NULL,
    actor                text NOT NULL CHECK (actor <> ''),
    reason               text NOT NULL CHECK (reason <> ''),
    confirmed_not_in_gis boolean NOT NULL DEFAULT false,
    requested_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_resend_org ON payment_resend (organization_id);

-- What GIS's exportPaymentDocumentDetails answered for an account and
-- period: the payment document and service a supplier notification needs.
-- found = false caches "nothing found" (INT002012) so a sweep does not ask
-- again for every held row; fetched_at lets a later sweep ask again.
CREATE TABLE payment_document_cache (
    organization_id     bigint NOT NULL REFERENCES organization,
    account_number      text NOT NULL,
    period_year         smallint NOT NULL,
    period_month        smallint NOT NULL CHECK (period_month BETWEEN 1 AND 12),
    found               boolean NOT NULL,
    payment_document_id text,
    gis_service_id      text,
    fetched_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, account_number, period_year, period_month),
    CHECK (NOT found OR payment_document_id IS NOT NULL OR gis_service_id IS NOT NULL)
);

-- +goose Down
DROP TABLE payment_document_cache;
DROP TABLE payment_resend;
DROP TRIGGER payment_history_update ON payment;
DROP TRIGGER payment_history_insert ON payment;
DROP FUNCTION record_payment_updates();
DROP FUNCTION record_payment_inserts();
DROP TABLE payment_status_history;
