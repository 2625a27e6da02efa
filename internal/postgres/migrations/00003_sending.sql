-- +goose Up

-- A poller claims a package for a short lease; only the holder may apply
-- its result, so two pollers never process one package, and a poller that
-- dies only delays the package until the lease runs out.
ALTER TABLE package
    ADD COLUMN lease_owner text,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN polls integer NOT NULL DEFAULT 0,
    ADD COLUMN polled_at timestamptz;

-- When the run's first package was acknowledged: the timeout counts from here.
ALTER TABLE run ADD COLUMN sent_at timestamptz;
ALTER TABLE run ADD COLUMN results_key text;

INSERT INTO status_transition (entity, from_status, to_status) VALUES
    ('run', 'packing', 'finished_with_errors'),
    ('run', 'sending', 'finished_with_errors'),
    ('run', 'sending', 'timed_out');

-- +goose Down
DELETE FROM status_transition WHERE entity = 'run' AND (from_status, to_status) IN
    (('packing', 'finished_with_errors'), ('sending', 'finished_with_errors'), ('sending', 'timed_out'));
ALTER TABLE run DROP COLUMN results_key, DROP COLUMN sent_at;
ALTER TABLE package DROP COLUMN polled_at, DROP COLUMN polls, DROP COLUMN lease_until, DROP COLUMN lease_owner;
