#!/usr/bin/env bash
# Installs what ferry needs from Debian 12's packages (idempotent, run as root).
#   install-deps.sh          build + SQLite runtime (the quick start), and pg_dump, which a
#                            PostgreSQL -> PostgreSQL copy clones the schema with
#   install-deps.sh --servers also PostgreSQL 15, MariaDB 10.11 and their ODBC drivers, and
#                            headless Chromium (the tests)
set -euo pipefail

pkgs=(build-essential cmake pkg-config git
      unixodbc unixodbc-dev libsqliteodbc sqlite3 libsqlite3-dev
      libtbb-dev libboost-dev libfmt-dev catch2 libbenchmark-dev
      libpq-dev libmariadb-dev
      postgresql-client-15
      libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libxxhash-dev
      libzstd-dev libssl-dev)
if [[ "${1:-}" == "--servers" ]]; then
  # python3-yaml: the deploy-example test reads the Kubernetes manifest as YAML.
  # chromium: the report page's test loads it in a real headless browser.
  pkgs+=(postgresql-15 mariadb-server mariadb-client
         odbc-postgresql odbc-mariadb python3-yaml chromium)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ferry: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's maintainer scripts try to start the system servers; ferry runs its own instances.
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
