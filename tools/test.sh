#!/usr/bin/env bash
# Runs the ctest suite of a build folder (default build/), then says why any skipped test was
# skipped: ctest itself only prints "Skipped". Extra arguments go to ctest.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ -d "$1" ]; then
  build=$1
  shift
fi

ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
status=$?
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ] && grep -q "^SKIPPED: " "$log"; then
  echo "Skipped tests, and why:"
  grep -h "^SKIPPED: " "$log" | sort | uniq -c | sed 's/^ */  /'
fi
exit $status
