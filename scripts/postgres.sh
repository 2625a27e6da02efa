#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the
# databases named as arguments exist. On a fresh Debian machine it installs
# PostgreSQL from Debian's packages and starts the cluster; where TCP
# logins need a password, it sets the postgres user's password to
# $PGPASSWORD (default "postgres") through the local socket.
set -euo pipefail

export PGPASSWORD="${PGPASSWORD:-postgres}"
PGHOST=127.0.0.1
PGPORT=5432

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "postgres.sh: starting cluster $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do
    pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
    sleep 1 # waiting for a server to come up, not timing anything
  done
  pg_isready -h "$PGHOST" -p "$PGPORT"
fi

if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  runuser -u postgres -- psql -qc "ALTER USER postgres PASSWORD '$PGPASSWORD'"
fi

for db in "$@"; do
  if [ -z "$(psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qc "CREATE DATABASE \"$db\""
  fi
done
