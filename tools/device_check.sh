#!/usr/bin/env bash
# The whole check of the CUDA path on a GPU machine, in one unattended run of under 6 minutes:
# card and versions, dependencies from carried .deb files, a Release build for sm_90, the whole
# ctest suite (GPU tests included, and they must not be skipped), compute-sanitizer memcheck on
# the GPU tests, then a summary table. Logs land in OUTDIR. ../shared/DEVICE.md says why.
#
#   tools/device_check.sh OUTDIR
#
# Bring the Debian packages along first (on a machine with apt), into .deps/:
#   apt-get download libnifti2-dev libnifti2-2 libniftiio-dev libznz3 libznz-dev libstb-dev \
#     libstb0 catch2 libopenblas-dev libopenblas0 libopenblas0-openmp libopenblas-openmp-dev \
#     libgfortran5
# (the OpenMP build of OpenBLAS: cmake/Dependencies.cmake says why; the pthread one also works)
set -uo pipefail

out=${1:?usage: tools/device_check.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.." && root=$(pwd)
exec 3>&1 4>&2
exec > >(tee "$out/device_check.log") 2>&1
tee_pid=$!
started=$(date +%s)
deadline=$((started + 330)) # everything inside 5.5 minutes, whatever hangs
rows=()
row() { rows+=("$(printf '| %-9s | %-6s | %s |' "$1" "$2" "$3")"); }
elapsed() { echo "$(($(date +%s) - started)) s"; }
# Seconds a step may take: its own limit, or what is left before the deadline.
allow() {
  local left=$((deadline - $(date +%s)))
  ((left < 1)) && left=1
  echo $(($1 < left ? $1 : left))
}

# The summary is written however the script ends (a step killed by its timeout included).
finish() {
  local status=$?
  {
    echo "device_check $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '(no git)')" \
      "on $(date -u +%F), $(elapsed)"
    echo
    echo "| step      | status | detail |"
    echo "|-----------|--------|--------|"
    printf '%s\n' "${rows[@]}"
  } >"$out/summary.md"
  echo
  cat "$out/summary.md"
  exec 1>&3 2>&4
  wait "$tee_pid" 2>/dev/null # let tee write the log's last lines
  exit "$status"
}
trap finish EXIT

echo "== 1. card and versions"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
if command -v nvidia-smi >/dev/null; then
  card=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
else
  card="none visible (no nvidia-smi)"
fi
nvcc_version=$("$nvcc" --version 2>/dev/null | grep -o 'release [0-9.]*' || echo "nvcc not found")
echo "card: $card"
echo "nvcc: $nvcc_version"
row "card" "-" "$card; nvcc $nvcc_version"

echo "== 2. dependencies"
prefix="$root/.deps/prefix"
shopt -s nullglob
debs=("$root"/.deps/*.deb)
unpack_failures=0
if ((${#debs[@]})); then
  mkdir -p "$prefix"
  for deb in "${debs[@]}"; do
    dpkg -x "$deb" "$prefix" || { echo "cannot unpack $deb"; unpack_failures=$((unpack_failures + 1)); }
  done
  echo "unpacked $((${#debs[@]} - unpack_failures)) of ${#debs[@]} .deb files into $prefix"
else
  echo "no .deb files in .deps/: relying on system packages"
fi
multiarch="$prefix/usr/lib/x86_64-linux-gnu"

# cuDNN: the toolkit's, the system's, or the nvidia-cudnn Python package's.
cudnn_root=""
for dir in /usr/local/cuda /usr /usr/local/cuda/targets/x86_64-linux; do
  if [ -f "$dir/include/cudnn_version.h" ]; then cudnn_root=$dir; break; fi
done
if [ -z "$cudnn_root" ]; then
  cudnn_root=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null)
fi
cudnn_version="not found"
if [ -n "$cudnn_root" ] && [ -f "$cudnn_root/include/cudnn_version.h" ]; then
  cudnn_version=$(awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) /{printf "%s%s", sep, $3; sep="."}' \
    "$cudnn_root/include/cudnn_version.h")
fi
echo "cuDNN $cudnn_version from ${cudnn_root:-nowhere}"
# cuBLAS: the toolkit's, else the nvidia-cublas Python package's (nvidia/cu13 for CUDA 13
# wheels, nvidia/cublas for older ones).
cublas_root=""
if ! ls /usr/local/cuda/lib64/libcublas.so* >/dev/null 2>&1; then
  cublas_root=$(python3 -c "
import nvidia, os
for sub in ('cu13', 'cublas'):
    d = os.path.join(list(nvidia.__path__)[0], sub)
    if os.path.isdir(os.path.join(d, 'include')): print(d); break" 2>/dev/null)
  echo "cuBLAS from ${cublas_root:-nowhere}"
fi
row "cuDNN" "-" "$cudnn_version from ${cudnn_root:-nowhere}; cuBLAS from ${cublas_root:-the toolkit}"
library_dirs=""
for dir in /usr/local/cuda/lib64 ${cudnn_root:+$cudnn_root/lib $cudnn_root/lib64} \
  ${cublas_root:+$cublas_root/lib}; do
  [ -d "$dir" ] && library_dirs="$library_dirs:$dir"
done
# The unpacked Debian libraries go last, so the machine's own (newer) ones win for others.
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$library_dirs:$multiarch:$multiarch/openblas-openmp:$multiarch/openblas-pthread"

echo "== 3. build (Release, sm_90)"
generator=()
command -v ninja >/dev/null && [ ! -f build-device/CMakeCache.txt ] && generator=(-G Ninja)
build_status=FAIL
if timeout "$(allow 60)" cmake -S . -B build-device "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix/usr" \
  ${cudnn_root:+-DCUDNN_ROOT="$cudnn_root"} ${cublas_root:+-DCUBLAS_ROOT="$cublas_root"} \
  >"$out/configure.log" 2>&1 &&
  timeout "$(allow 200)" cmake --build build-device -j"$(nproc)" >"$out/build.log" 2>&1; then
  build_status=ok
fi
tail -n 5 "$out/configure.log" "$out/build.log"
row "build" "$build_status" "at $(elapsed); $unpack_failures .deb failed to unpack; configure.log, build.log"

echo "== 4. ctest, GPU tests included"
ctest_status=FAIL
ctest_line="not run"
if [ "$build_status" = ok ]; then
  timeout "$(allow 150)" ctest --test-dir build-device --output-on-failure -j8 \
    >"$out/ctest.log" 2>&1 && ctest_status=ok
  ctest_line=$(grep -E "tests passed" "$out/ctest.log" || echo "no summary line (timed out?)")
  # On this machine a skipped GPU test is a failure of the check: they are what it is for.
  skipped_gpu=$(grep -cE "^[[:space:]]*[0-9]+ - gpu:.*\(Skipped\)" "$out/ctest.log")
  if [ "$skipped_gpu" -gt 0 ]; then
    ctest_status=FAIL
    ctest_line="$ctest_line; $skipped_gpu GPU tests skipped: $(grep -m1 '^SKIPPED' \
      build-device/Testing/Temporary/LastTest.log | sed 's/^SKIPPED: //')"
  fi
  grep -E "Failed|Skipped" "$out/ctest.log" | head -n 20
fi
row "ctest" "$ctest_status" "$ctest_line"

echo "== 5. compute-sanitizer memcheck on the GPU tests (without [large])"
memcheck_status=FAIL
memcheck_line="not run"
if ! command -v compute-sanitizer >/dev/null; then
  memcheck_line="compute-sanitizer not found"
elif [ "$build_status" = ok ]; then
  timeout "$(allow 120)" compute-sanitizer --tool memcheck --error-exitcode 99 \
    build-device/tests/unet3d_gpu_tests "~[large]" >"$out/memcheck.log" 2>&1 &&
    memcheck_status=ok
  memcheck_line=$(grep -E "ERROR SUMMARY|All tests passed|test cases:" "$out/memcheck.log" |
    tr '\n' ' ')
fi
row "memcheck" "$memcheck_status" "${memcheck_line:-no summary line (timed out?)}"

echo "== 6. benchmarks, and the PyTorch baseline on the same card"
bench_status=FAIL
bench_line="not run"
if [ "$build_status" = ok ]; then
  timeout "$(allow 150)" build-device/bench/bench --device cuda --seconds 0.3 --json "$out/bench.json" \
    >"$out/bench.txt" 2>"$out/bench.log" && bench_status=ok
  bench_line=$(grep -E "^training step:" "$out/bench.txt" || echo "no training-step line")
  timeout "$(allow 90)" python3 bench/pytorch_unet3d.py --device cuda --steps 10 --compare "$out/bench.json" \
    >"$out/pytorch.txt" 2>&1 && bench_line="$bench_line; $(grep -E "x the time" "$out/pytorch.txt" | tr '\n' ' ')"
  cat "$out/bench.txt" "$out/pytorch.txt" 2>/dev/null | tail -n 30
fi
row "bench" "$bench_status" "$bench_line"

echo "== 7. a short training on phantoms"
train_status=FAIL
if [ "$build_status" = ok ]; then
  timeout "$(allow 60)" build-device/tools/trainer --out "$out/run" --size 64 --features 16 --depth 3 \
    --epochs 3 --phantoms 16 --phantom-size 96,96,48 --accum 1 >"$out/train.txt" 2>&1 && train_status=ok
  tail -n 8 "$out/train.txt"
fi
row "training" "$train_status" "$(grep -m1 -A3 'network' "$out/train.txt" 2>/dev/null | tail -n 1)"

[ "$build_status" = ok ] && [ "$ctest_status" = ok ] && [ "$memcheck_status" = ok ] &&
  [ "$bench_status" = ok ] && [ "$train_status" = ok ]
