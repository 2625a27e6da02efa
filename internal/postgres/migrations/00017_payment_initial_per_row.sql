-- +goose Up

-- A new payment's status was checked once per statement over a transition
-- table of the statement's rows: Postgres copied each of the packer's
-- 300 000 payments into it only for the check to read them all again,
-- 0.08 s of the COPY's 1.1 s of CPU. queued is the one status
-- status_transition lets a payment be created in
-- (TestPaymentsAreCreatedQueued holds it to that), so a row created queued
-- needs no look-up, and any other is checked row by row against
-- status_transition as before. The condition is evaluated as the row is
-- inserted; an AFTER row trigger, unlike a BEFORE one, leaves COPY
-- inserting a page of rows at a time.
DROP TRIGGER payment_initial ON payment;
CREATE TRIGGER payment_initial AFTER INSERT ON payment
    FOR EACH ROW WHEN (NEW.status <> 'queued') EXECUTE FUNCTION enforce_status_transition();

-- +goose Down
DROP TRIGGER payment_initial ON payment;
CREATE TRIGGER payment_initial AFTER INSERT ON payment REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enforce_initial_status();
