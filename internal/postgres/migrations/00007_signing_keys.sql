-- +goose Up

-- Who signs an organisation's packages: a reference to its own signing key
-- (a Secrets Manager ARN in AWS, a PEM file locally), or NULL: the
-- information system's operator signs on its behalf with GIS_SIGNING_KEY and
-- the RequestHeader says IsOperatorSignature. The reference, never the key.
ALTER TABLE organization ADD COLUMN signing_key text
    CHECK (signing_key IS NULL OR (signing_key <> '' AND signing_key NOT LIKE '%-----BEGIN%'));

-- +goose Down
ALTER TABLE organization DROP COLUMN signing_key;
