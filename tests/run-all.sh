#!/usr/bin/env bash
# The test command (README, .ci/run): installs the packages, builds with warnings as errors and
# runs every test: unit, integration (real processes on loopback), then the bounded fuzzers.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${KERBSIDE_BUILD_DIR:-$root/build-ci}

"$root/deploy/install-deps.sh"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKERBSIDE_WERROR=ON
ninja -C "$build" -j2

# Unit tests in parallel; integration tests one at a time (they start servers and time them).
ctest --test-dir "$build" -L unit -j2 --output-on-failure
ctest --test-dir "$build" -L integration --output-on-failure
# The lab: Samba AD DCs in network namespaces (needs root, as CI has).
ctest --test-dir "$build" -L lab --output-on-failure

if [ -x "$root/tests/fuzz/run-fuzzers.sh" ]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} "$root/tests/fuzz/run-fuzzers.sh"
fi
echo "run-all: every test passed"
