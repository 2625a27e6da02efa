-- +goose Up

-- A payment's first history entry is implied instead of written. Only the
-- packer creates payments (one INSERT … SELECT of a run's payments, with
-- gis.cause 'packed by run N'), so that entry is always known from the
-- payment itself: no status before, the status it was created in (the
-- from_status of its first recorded change, else its status now), at
-- created_at (now() of the creating transaction, as the trigger's at
-- was), cause 'packed by run ' || run_id. Writing it cost the packer's
-- storing transaction a second 300 000-row insert and index. Payments
-- created before this migration keep their written entry; readers imply
-- one only where none with from_status NULL exists
-- (postgres.PaymentHistory). Status changes are still written by
-- payment_history_update.
DROP TRIGGER payment_history_insert ON payment;
DROP FUNCTION record_payment_inserts();

-- +goose Down
-- The implied entries are written, with negative ids (-payment id) so that
-- ordering a payment's history by id still puts its creation first.
INSERT INTO payment_status_history (id, payment_id, from_status, to_status, at, cause) OVERRIDING SYSTEM VALUE
SELECT -p.id, p.id, NULL,
       coalesce((SELECT h.from_status FROM payment_status_history h WHERE h.payment_id = p.id ORDER BY h.id LIMIT 1), p.status),
       p.created_at, 'packed by run ' || p.run_id
FROM payment p
WHERE NOT EXISTS (SELECT 1 FROM payment_status_history h WHERE h.payment_id = p.id AND h.from_status IS NULL);

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

CREATE TRIGGER payment_history_insert AFTER INSERT ON payment REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION record_payment_inserts();
