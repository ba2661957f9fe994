#!/usr/bin/env bash
# Builds and runs kerbside's benchmarks (not ctest tests: they measure, they do not judge
# correctness). Usage: tests/bench/run-benchmarks.sh [BUILD_DIR]   (default: build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C "$build" -j2 event_xml_bench correlator_bench event_window_bench
echo "== event XML: ParseEventsXml beside a bare pugixml parse of the same input"
"$build/tests/bench/event_xml_bench"
echo
echo "== correlator: synthetic fleets of 200, 2,000 and 20,000 hosts"
"$build/tests/bench/correlator_bench"
echo
echo "== event window: ingest of a batch merged into the window, beside the same number of snapshot items"
"$build/tests/bench/event_window_bench"
