#!/usr/bin/env bash
# Builds and runs kerbside's benchmarks (not ctest tests: they measure, they do not judge
# correctness). Usage: tests/bench/run-benchmarks.sh [BUILD_DIR]   (default: build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C "$build" -j"$(nproc)" event_xml_bench
shift $(( $# > 0 ? 1 : 0 ))
"$build/tests/common/event_xml_bench" "$@"
