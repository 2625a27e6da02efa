-- +goose Up

-- Allowed status changes, one row each; from_status '' lists the statuses a
-- row may be created in. The trigger below enforces it on every table with
-- a status column, so no code path can skip or reverse a lifecycle.
CREATE TABLE status_transition (
    entity      text NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (entity, from_status, to_status)
);

INSERT INTO status_transition (entity, from_status, to_status) VALUES
    ('source_file', '', 'registered'),
    ('source_file', '', 'failed'),
    ('source_file', '', 'superseded'),
    ('source_file', 'registered', 'reconciled'),
    ('source_file', 'registered', 'failed'),
    ('source_file', 'registered', 'superseded'),
    ('source_file', 'reconciled', 'superseded'),
    ('run', '', 'created'),
    ('run', 'created', 'reconciling'),
    ('run', 'created', 'failed'),
    ('run', 'reconciling', 'packing'),
    ('run', 'reconciling', 'finished'),
    ('run', 'reconciling', 'failed'),
    ('run', 'packing', 'sending'),
    ('run', 'packing', 'finished'),
    ('run', 'packing', 'failed'),
    ('run', 'sending', 'processing'),
    ('run', 'sending', 'failed'),
    ('run', 'processing', 'finished'),
    ('run', 'processing', 'finished_with_errors'),
    ('run', 'processing', 'failed'),
    ('run', 'processing', 'timed_out'),
    ('run', 'timed_out', 'finished'),
    ('run', 'timed_out', 'finished_with_errors'),
    ('package', '', 'built'),
    ('package', 'built', 'signed'),
    ('package', 'built', 'failed'),
    ('package', 'signed', 'sent'),
    ('package', 'signed', 'failed'),
    ('package', 'sent', 'processing'),
    ('package', 'sent', 'done'),
    ('package', 'sent', 'failed'),
    ('package', 'processing', 'done'),
    ('package', 'processing', 'failed'),
    ('payment', '', 'queued'),
    ('payment', 'queued', 'sent'),
    ('payment', 'queued', 'error'),
    ('payment', 'queued', 'rejected'),
    ('payment', 'sent', 'imported'),
    ('payment', 'sent', 'already_imported'),
    ('payment', 'sent', 'rejected'),
    ('payment', 'sent', 'error');

-- +goose StatementBegin
CREATE FUNCTION enforce_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_status text := '';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.status = OLD.status THEN
            RETURN NEW;
        END IF;
        old_status := OLD.status;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM status_transition t
                   WHERE t.entity = TG_TABLE_NAME AND t.from_status = old_status AND t.to_status = NEW.status) THEN
        RAISE EXCEPTION '% %: status % -> % is not allowed', TG_TABLE_NAME, NEW.id, NULLIF(old_status, ''), NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TABLE organization (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$'),
    name                  text NOT NULL CHECK (name <> ''),
    inn                   text NOT NULL CHECK (inn ~ '^([0-9]{10}|[0-9]{12})$'),
    kpp                   text CHECK (kpp ~ '^[0-9]{9}$'),
    org_ppa_guid          uuid NOT NULL,
    -- ufkr: regional capital-repair fund, loads importNotificationsOfOrderExecution;
    -- uk_rso: management company or resource supplier, importSupplierNotificationsOfOrderExecution.
    kind                  text NOT NULL CHECK (kind IN ('ufkr', 'uk_rso')),
    -- matched: load payments present on both sides with equal sums;
    -- acquiring: load every bank-registry payment, matched or not.
    load_policy           text NOT NULL DEFAULT 'matched' CHECK (load_policy IN ('matched', 'acquiring')),
    -- RecipientInfo/PaymentInformation, required by GIS for bank notifications.
    bank_name             text CHECK (length(bank_name) BETWEEN 1 AND 255),
    bank_bik              text CHECK (bank_bik ~ '^[0-9]{9}$'),
    operating_account     text CHECK (operating_account ~ '^[0-9]{20}$'),
    correspondent_account text CHECK (correspondent_account ~ '^[0-9]{20}$'),
    payment_recipient     text CHECK (length(payment_recipient) BETWEEN 1 AND 4000),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE source_file (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organization,
    bucket          text NOT NULL,
    key             text NOT NULL,
    etag            text NOT NULL,
    version_id      text,
    -- the S3 event sequencer: orders events for one key that arrive out of order
    sequencer       text NOT NULL DEFAULT '',
    kind            text NOT NULL CHECK (kind IN ('billing', 'acquiring')),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    status          text NOT NULL CHECK (status IN ('registered', 'reconciled', 'failed', 'superseded')),
    encoding        text,
    delimiter       text,
    rows            integer CHECK (rows >= 0),
    min_date        date,
    max_date        date,
    errors          jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bucket, key, etag),
    CHECK ((status = 'failed') = (jsonb_array_length(errors) > 0))
);
CREATE INDEX source_file_org_kind ON source_file (organization_id, kind, status);
CREATE INDEX source_file_key ON source_file (bucket, key);

CREATE TABLE run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organization,
    -- deterministic from the organisation, the period and the files, so a
    -- retried or duplicated reconcile finds its run instead of making another
    run_key         text NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('created', 'reconciling', 'packing', 'sending', 'processing',
                                                    'finished', 'finished_with_errors', 'failed', 'timed_out')),
    period_from     date,
    period_to       date,
    execution_name  text,
    billing_rows    integer NOT NULL DEFAULT 0,
    acquiring_rows  integer NOT NULL DEFAULT 0,
    matched         integer NOT NULL DEFAULT 0,
    mismatched      integer NOT NULL DEFAULT 0,
    billing_only    integer NOT NULL DEFAULT 0,
    acquiring_only  integer NOT NULL DEFAULT 0,
    billing_sum     numeric(15,2) NOT NULL DEFAULT 0,
    acquiring_sum   numeric(15,2) NOT NULL DEFAULT 0,
    matched_sum     numeric(15,2) NOT NULL DEFAULT 0,
    report_csv_key  text,
    report_html_key text,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    reconciled_at   timestamptz,
    finished_at     timestamptz,
    CHECK (period_from <= period_to),
    CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX run_status ON run (status) WHERE status NOT IN ('finished', 'finished_with_errors', 'failed');

CREATE TABLE run_file (
    run_id         bigint NOT NULL REFERENCES run ON DELETE CASCADE,
    source_file_id bigint NOT NULL REFERENCES source_file,
    PRIMARY KEY (run_id, source_file_id)
);

-- One row per reconciled key: both sides where they exist. This is the bulk
-- table (300 000 rows a run is ordinary), loaded with COPY; it has no foreign
-- keys because their per-row checks make COPY five times slower. Its run and
-- files are tied together by run_file, which has them, and only the
-- reconciler writes here, inside the transaction that writes run_file.
CREATE TABLE recon_row (
    id                     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    run_id                 bigint NOT NULL,
    day                    date NOT NULL,
    status                 text NOT NULL CHECK (status IN ('check', 'mismatch', 'billing_only', 'acquiring_only')),
    bill_number            text NOT NULL,
    supplier_id            text NOT NULL,
    service_id             text NOT NULL,
    account_number         text,
    billing_file_id        bigint,
    billing_line           integer,
    billing_main           numeric(15,2),
    billing_fine           numeric(15,2),
    acquiring_file_id      bigint,
    acquiring_line         integer,
    acquiring_main         numeric(15,2),
    acquiring_fine         numeric(15,2),
    order_id               text,
    order_date             date,
    payment_document_id    text,
    gis_service_id         text,
    unified_account_number text,
    period_month           smallint CHECK (period_month BETWEEN 1 AND 12),
    period_year            smallint,
    payment_purpose        text,
    CHECK ((billing_file_id IS NULL) = (status = 'acquiring_only')),
    CHECK ((acquiring_file_id IS NULL) = (status = 'billing_only')),
    CHECK ((acquiring_file_id IS NULL) = (order_id IS NULL)),
    CHECK (billing_main >= 0 AND billing_fine >= 0 AND acquiring_main >= 0 AND acquiring_fine >= 0),
    CHECK (status <> 'check' OR billing_main + billing_fine = acquiring_main + acquiring_fine),
    CHECK (status <> 'mismatch' OR billing_main + billing_fine <> acquiring_main + acquiring_fine)
);
CREATE INDEX recon_row_run_day ON recon_row (run_id, day);


CREATE TABLE recon_day (
    run_id          bigint NOT NULL REFERENCES run ON DELETE CASCADE,
    day             date NOT NULL,
    billing_count   integer NOT NULL,
    acquiring_count integer NOT NULL,
    billing_sum     numeric(15,2) NOT NULL,
    acquiring_sum   numeric(15,2) NOT NULL,
    matched         integer NOT NULL,
    matched_sum     numeric(15,2) NOT NULL,
    mismatched      integer NOT NULL,
    billing_only    integer NOT NULL,
    acquiring_only  integer NOT NULL,
    PRIMARY KEY (run_id, day)
);

-- Packages and payments are filled by the packer, sender and poller.
CREATE TABLE package (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES run,
    -- RequestHeader/MessageGUID: chosen before the XML is built, never regenerated
    message_guid     uuid NOT NULL UNIQUE,
    operation        text NOT NULL CHECK (operation IN ('importNotificationsOfOrderExecution',
                                                        'importSupplierNotificationsOfOrderExecution')),
    status           text NOT NULL CHECK (status IN ('built', 'signed', 'sent', 'processing', 'done', 'failed')),
    payments         integer NOT NULL CHECK (payments > 0),
    total            numeric(15,2) NOT NULL,
    request_key      text,
    response_key     text,
    ack_message_guid uuid UNIQUE,
    request_state    smallint CHECK (request_state IN (1, 2, 3)),
    error_code       text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    done_at          timestamptz,
    CHECK (status NOT IN ('sent', 'processing', 'done') OR ack_message_guid IS NOT NULL),
    CHECK (operation <> 'importNotificationsOfOrderExecution' OR payments <= 500),
    CHECK (operation <> 'importSupplierNotificationsOfOrderExecution' OR payments <= 250)
);
CREATE INDEX package_run ON package (run_id);
CREATE INDEX package_unfinished ON package (status, sent_at) WHERE status IN ('sent', 'processing');

CREATE TABLE payment (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES run,
    organization_id bigint NOT NULL REFERENCES organization,
    recon_row_id    bigint NOT NULL REFERENCES recon_row,
    order_id        text NOT NULL,
    amount          numeric(15,2) NOT NULL CHECK (amount >= 0),
    -- chosen before the XML is built and never regenerated, so a resend is
    -- recognised by GIS as the same payment
    transport_guid  uuid NOT NULL UNIQUE,
    package_id      bigint REFERENCES package,
    status          text NOT NULL CHECK (status IN ('queued', 'sent', 'imported', 'already_imported', 'rejected', 'error')),
    gis_guid        uuid,
    unique_number   text,
    imported_at     timestamptz,
    error_code      text,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('sent', 'imported', 'already_imported') OR package_id IS NOT NULL),
    CHECK (status NOT IN ('rejected', 'error') OR error IS NOT NULL)
);
-- A payment is live or loaded at most once per organisation: this is what
-- stops a second run, a retry or a duplicate event from sending it twice.
CREATE UNIQUE INDEX payment_once ON payment (organization_id, order_id)
    WHERE status IN ('queued', 'sent', 'imported', 'already_imported');
CREATE INDEX payment_package ON payment (package_id);
CREATE INDEX payment_run ON payment (run_id, status);

CREATE TRIGGER source_file_status BEFORE INSERT OR UPDATE OF status ON source_file
    FOR EACH ROW EXECUTE FUNCTION enforce_status_transition();
CREATE TRIGGER run_status BEFORE INSERT OR UPDATE OF status ON run
    FOR EACH ROW EXECUTE FUNCTION enforce_status_transition();
CREATE TRIGGER package_status BEFORE INSERT OR UPDATE OF status ON package
    FOR EACH ROW EXECUTE FUNCTION enforce_status_transition();
CREATE TRIGGER payment_status BEFORE INSERT OR UPDATE OF status ON payment
    FOR EACH ROW EXECUTE FUNCTION enforce_status_transition();

-- +goose Down
DROP TABLE payment, package, recon_day, recon_row, run_file, run, source_file, organization, status_transition;
DROP FUNCTION enforce_status_transition();
