#!/usr/bin/env bash
# The one command that sets up and runs every test (README, .ci/run): installs what is
# needed from Debian's packages, starts ferry's own PostgreSQL and MariaDB instances on
# loopback, builds, and runs the whole suite through CTest. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing packages"
bash scripts/install-deps.sh --servers
echo "== starting the test servers"
bash scripts/test-servers.sh start
echo "== building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
echo "== testing"
cd build
ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@"
