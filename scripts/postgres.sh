#!/usr/bin/env bash
# Install (Debian's postgresql, when missing), start a local PostgreSQL on
# 127.0.0.1:5432 and create the role and database that `make test-postgres` and
# compose-less local runs use. Idempotent: safe to run on every `make test-postgres`.
set -euo pipefail
ROLE=${TICKETMINER_PG_ROLE:-ticketminer}
PASSWORD=${TICKETMINER_PG_PASSWORD:-ticketminer}
DB=${TICKETMINER_PG_DB:-ticketminer}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql
fi
VERSION=$(ls /etc/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  $SUDO pg_ctlcluster "$VERSION" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
as_postgres psql -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  END IF;
END \$\$;"
if ! as_postgres psql -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_postgres createdb -O "$ROLE" "$DB"
fi
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:5432/$DB"
