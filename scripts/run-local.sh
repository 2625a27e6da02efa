#!/usr/bin/env bash
# One local run of the pipeline on a fresh database and a fresh local S3
# server (versitygw on 127.0.0.1), driving the real function binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGPASSWORD="${PGPASSWORD:-postgres}"
db=gis_payments_local
s3_port="${S3_PORT:-7070}"
root="$PWD/.local"

scripts/postgres.sh
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"

gis_port="${GIS_PORT:-8089}"
[ -f "$root/gost/signing.pem" ] || bin/gostkey -out "$root/gost/signing.pem"

rm -rf "$root/s3" && mkdir -p "$root/s3"
bin/versitygw --access local --secret localsecret --region ru-central-1 --port "127.0.0.1:$s3_port" \
  posix "$root/s3" >"$root/versitygw.log" 2>&1 &
pids=$!
bin/gissim -addr "127.0.0.1:$gis_port" -received 1s -processing 2s 2>"$root/gissim.log" &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true' EXIT
for port in "$s3_port" "$gis_port"; do
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1 # waiting for a server to listen, not timing anything
  done
done

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=localsecret AWS_REGION=ru-central-1
export EXPORTS_BUCKET="${EXPORTS_BUCKET:-gis-exports}"
export ARCHIVE_BUCKET="${ARCHIVE_BUCKET:-gis-archive}"
export GIS_ENDPOINT="http://127.0.0.1:$gis_port" GIS_SIGNING_KEY="$root/gost/signing.pem"
unset STATE_MACHINE_ARN

bin/localrun -bin bin -work "$root" -s3-root "$root/s3"
