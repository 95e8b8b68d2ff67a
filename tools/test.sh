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

# export's tests check its graphs with ONNX's checker (Debian's python3-onnx) and run them in
# onnxruntime, from PyPI into a test-only environment made once per build folder and reused; the
# build itself never uses either. Without them those tests are skipped (failed under CI).
if [ -x "$build/tools/export" ]; then
  for python in /usr/bin/python3 python3; do
    if "$python" -c "import onnx" 2>/dev/null; then
      export UNET3D_TEST_ONNX_CHECKER="$python"
      break
    fi
  done
  venv="$(cd "$build" && pwd)/onnx-test-venv"  # absolute: ctest runs the tests inside $build
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnxruntime, nibabel" 2>/dev/null; then
    echo "test.sh: making $venv (onnxruntime, numpy and nibabel from PyPI, for export's tests)"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
      onnxruntime==1.32.0 numpy==2.4.6 nibabel==5.4.2 || rm -rf "$venv"
  fi
  [ -x "$venv/bin/python" ] && export UNET3D_TEST_ONNXRUNTIME="$venv/bin/python"
fi

ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
status=$?
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ] && grep -q "^SKIPPED: " "$log"; then
  echo "Skipped tests, and why:"
  grep -h "^SKIPPED: " "$log" | sort | uniq -c | sed 's/^ */  /'
fi
exit $status
