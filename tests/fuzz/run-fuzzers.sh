#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan) and runs each for a bounded time over
# a scratch copy of its seed corpus. Exits non-zero if any fuzzer crashes, leaks, times out on
# an input or fails to build.
#   FUZZ_SECONDS   seconds per fuzzer (default 30)
#   FUZZ_BUILD_DIR build directory (default <repo>/build-fuzz)
#   FUZZ_JOBS      ninja -j (default 2)
#   FUZZERS        space-separated subset of fuzzer names (default: every one that was built)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
seconds="${FUZZ_SECONDS:-30}"
jobs="${FUZZ_JOBS:-2}"

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja \
  -DKERBSIDE_FUZZ=ON -DKERBSIDE_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j "$jobs" kerbside_fuzzers

work="$(mktemp -d "${TMPDIR:-/tmp}/kerbside-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ -n "${FUZZERS:-}" ]]; then
  names=($FUZZERS)
else
  names=()
  for seeds in "$build"/fuzzers/*.seeds; do
    names+=("$(basename "$seeds" .seeds)")
  done
fi

failed=()
for name in "${names[@]}"; do
  bin="$build/fuzzers/$name"
  corpus="$work/$name/corpus"
  artifacts="$work/$name/artifacts/"
  mkdir -p "$corpus" "$artifacts"
  while IFS= read -r seed; do
    [[ -z "$seed" ]] && continue
    if [[ -d "$seed" ]]; then cp -r "$seed"/. "$corpus"/; else cp "$seed" "$corpus"/; fi
  done < "$build/fuzzers/$name.seeds"
  echo "=== $name: ${seconds}s, $(find "$corpus" -type f | wc -l) seeds"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb bounds memory per process.
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" >"$work/$name/log" 2>&1; then
    echo "FAILED: $name (log and crashing input follow)"
    tail -n 60 "$work/$name/log"
    ls -l "$artifacts"
    mkdir -p "$build/fuzz-failures/$name"
    cp -r "$artifacts"/. "$build/fuzz-failures/$name"/ 2>/dev/null || true
    failed+=("$name")
  else
    grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/$name/log" | tr '\n' ' '
    echo
  fi
done

if ((${#failed[@]})); then
  echo "fuzzers with failures: ${failed[*]} (inputs kept in $build/fuzz-failures/)"
  exit 1
fi
echo "all ${#names[@]} fuzzers ran ${seconds}s without failures"
