#!/usr/bin/env bash
# The test command (README, .ci/run): installs the packages, builds with warnings as errors and
# runs every test: unit, integration (real processes on loopback), the lab, the Windows tier
# (the agent cross-built with mingw-w64 and tested under Wine), then the bounded fuzzers.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${KERBSIDE_BUILD_DIR:-$root/build-ci}
wbuild=${KERBSIDE_WINDOWS_BUILD_DIR:-$root/build-ci-windows}

"$root/deploy/install-deps.sh"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKERBSIDE_WERROR=ON
ninja -C "$build" -j2

# Unit tests in parallel; integration tests one at a time (they start servers and time them).
ctest --test-dir "$build" -L unit -j2 --output-on-failure
ctest --test-dir "$build" -L integration --output-on-failure
# The Debian packages: built, inspected, lintian, systemd-analyze verify, the packaged collector
# started as its unit says.
ctest --test-dir "$build" -L package --output-on-failure
# The lab: Samba AD DCs in network namespaces (needs root, as CI has).
ctest --test-dir "$build" -L lab --output-on-failure

# The Windows tier. The dependencies are built once from Debian's source packages into a cache
# outside the tree (deploy/windows/build-deps.sh; ~30 CPU-minutes the first time on a new
# machine, then reused while its inputs stay the same).
KERBSIDE_WINDEPS_PREFIX=$("$root/deploy/windows/build-deps.sh" | tail -n 1)
export KERBSIDE_WINDEPS_PREFIX
cmake --preset windows -S "$root" -B "$wbuild" -DKERBSIDE_WERROR=ON -DKERBSIDE_REQUIRE_MSI=ON \
  -DKERBSIDE_NATIVE_BUILD_DIR="$build"
ninja -C "$wbuild" -j2
ctest --test-dir "$wbuild" -L windows --output-on-failure

if [ -x "$root/tests/fuzz/run-fuzzers.sh" ]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} "$root/tests/fuzz/run-fuzzers.sh"
fi
echo "run-all: every test passed"
