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
# Release: the same -O2 code as RelWithDebInfo without debug information, which would cost a
# third of the build; a failure to debug is rebuilt RelWithDebInfo in a build folder of its own.
# The benchmarks (ferry_bench) are no test: left out here, they cost a minute of CI's build; a
# plain `cmake --build build` builds them (FERRY_BENCHMARKS is on by default).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFERRY_BENCHMARKS=OFF
cmake --build build -j"$(nproc)"
echo "== testing"
cd build
# Five tests per two cores: most of a test's time is spent waiting (on the servers, on a process
# it started, on a timeout it provokes). A sample of 14 integration tests kept 0.39 of a core
# busy each (ferry, the test and the servers' CPU over its wall time), so two per core left
# about a fifth of the cores idle; FERRY_TEST_JOBS overrides.
ctest --output-on-failure --timeout 900 -j"${FERRY_TEST_JOBS:-$(($(nproc) * 5 / 2))}" "$@"
