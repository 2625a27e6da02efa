-- +goose Up

-- The days an upload covers as far as its first 64 KiB show (the header
-- sniff; head_whole: the file was all there, so the days are exact), and
-- when S3 says it was written. An upload pairs only with a file of the
-- other kind whose days overlap its own, and a newer upload of the same
-- organisation, kind and exact days supersedes an older one still waiting.
-- min_date/max_date stay the range known once reconciled.
ALTER TABLE source_file
    ADD COLUMN head_min_date date,
    ADD COLUMN head_max_date date,
    ADD COLUMN head_whole    boolean NOT NULL DEFAULT false,
    ADD COLUMN uploaded_at   timestamptz,
    ADD CHECK ((head_min_date IS NULL) = (head_max_date IS NULL) AND head_min_date <= head_max_date);
CREATE INDEX source_file_waiting ON source_file (organization_id, kind, head_min_date, head_max_date)
    WHERE status = 'registered';

-- +goose Down
DROP INDEX source_file_waiting;
ALTER TABLE source_file DROP COLUMN uploaded_at, DROP COLUMN head_whole, DROP COLUMN head_max_date, DROP COLUMN head_min_date;
