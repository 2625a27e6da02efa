-- +goose Up

-- Approval before loading. auto: load at once (as before); on_discrepancies:
-- a run with mismatched, one-sided or held rows waits for a person;
-- always: every run waits. active: the daily schedule runs the organisation.
-- contact_email: who is told about runs that need a person (SNS, filtered by
-- the organisation's code).
ALTER TABLE organization
    ADD COLUMN approval_policy text NOT NULL DEFAULT 'auto'
        CHECK (approval_policy IN ('auto', 'on_discrepancies', 'always')),
    ADD COLUMN active boolean NOT NULL DEFAULT true,
    ADD COLUMN contact_email text CHECK (contact_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$');

-- A run waiting for approval holds the state machine's task token (opaque,
-- up to 1 KiB by the Step Functions API). settled_notice_at: when the
-- "Run settled" event went out (at least once; once set, never again).
ALTER TABLE run
    ADD COLUMN approval_token text,
    ADD COLUMN approval_requested_at timestamptz,
    ADD COLUMN settled_notice_at timestamptz;

ALTER TABLE run DROP CONSTRAINT run_status_check;
ALTER TABLE run ADD CONSTRAINT run_status_check
    CHECK (status IN ('created', 'reconciling', 'awaiting_approval', 'packing', 'sending', 'processing',
                      'finished', 'finished_with_errors', 'failed', 'timed_out',
                      'approval_expired', 'approval_declined'));
ALTER TABLE run ADD CONSTRAINT run_waiting_has_token CHECK (status <> 'awaiting_approval' OR approval_token IS NOT NULL);

-- The decision on a run: who (an IAM identity, or the S3 principal that
-- uploaded approvals/<run>.csv), when, and how. One per run.
CREATE TABLE run_decision (
    run_id     bigint PRIMARY KEY REFERENCES run,
    decision   text NOT NULL CHECK (decision IN ('approve', 'decline')),
    decided_by text NOT NULL CHECK (decided_by <> ''),
    source     text NOT NULL CHECK (source IN ('upload', 'admin')),
    comment    text,
    decided_at timestamptz NOT NULL DEFAULT now()
);

-- Rows the decision changes: load (a discrepancy the accountant accepts,
-- which the load policy would not send) or withhold (a row the policy
-- would send, held with "withheld by <who>").
CREATE TABLE run_decision_row (
    run_id       bigint NOT NULL REFERENCES run_decision,
    recon_row_id bigint NOT NULL,
    action       text NOT NULL CHECK (action IN ('load', 'withhold')),
    PRIMARY KEY (run_id, recon_row_id)
);

-- Runs that ended before this migration have been told of already.
UPDATE run SET settled_notice_at = coalesce(finished_at, updated_at)
    WHERE status IN ('finished', 'finished_with_errors', 'failed', 'timed_out');

-- The sweep counts payments left unloaded (UnloadedPaymentsOlderThan);
-- once loaded, a payment leaves this index.
CREATE INDEX payment_unloaded ON payment (created_at) WHERE status IN ('queued', 'sent', 'unknown', 'error');

INSERT INTO status_transition (entity, from_status, to_status) VALUES
    ('run', 'reconciling', 'awaiting_approval'),
    ('run', 'awaiting_approval', 'packing'),
    ('run', 'awaiting_approval', 'finished'),
    ('run', 'awaiting_approval', 'finished_with_errors'),
    ('run', 'awaiting_approval', 'approval_expired'),
    ('run', 'awaiting_approval', 'approval_declined'),
    ('run', 'awaiting_approval', 'failed');

-- +goose Down
DELETE FROM status_transition WHERE entity = 'run' AND (from_status = 'awaiting_approval' OR to_status = 'awaiting_approval');
DROP TABLE run_decision_row, run_decision;
DROP INDEX payment_unloaded;
ALTER TABLE run DROP CONSTRAINT run_waiting_has_token;
ALTER TABLE run DROP CONSTRAINT run_status_check;
ALTER TABLE run ADD CONSTRAINT run_status_check
    CHECK (status IN ('created', 'reconciling', 'packing', 'sending', 'processing',
                      'finished', 'finished_with_errors', 'failed', 'timed_out'));
ALTER TABLE run DROP COLUMN settled_notice_at, DROP COLUMN approval_requested_at, DROP COLUMN approval_token;
ALTER TABLE organization DROP COLUMN contact_email, DROP COLUMN active, DROP COLUMN approval_policy;
