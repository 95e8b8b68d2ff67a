#!/usr/bin/env bash
# The whole check of the CUDA path on a GPU machine, in one unattended run of under 6 minutes:
# versions; a Release build for sm_90 from carried .deb dependencies; the GPU tests (ctest labels
# gpu and gpu-e2e; a skipped one fails here); the cuDNN probe; compute-sanitizer memcheck on a
# subset of the GPU tests; bench at its default size; the PyTorch baseline (eager AMP) on the
# same card; a 60-second phantom training at 96^3, 32 features, fp16. Each stage has its own
# time budget (together less than the whole), and summary.md is rewritten after every stage,
# so a run cut short still says what passed.
#
#   tools/device_check.sh OUTDIR            on the GPU machine
#   tools/device_check.sh --dry-run OUTDIR  here, without a GPU: every stage against the
#                                           configured build/ (no configure, no compile) at tiny
#                                           sizes; what needs a GPU, cuDNN or torch says
#                                           "unavailable" and does not fail the run
#
# OUTDIR receives at most these 8 files (each well under 16 MiB, no folders): summary.md,
# device_check.log (everything printed), gpu_tests.log, cudnn_probe.md, memcheck.log,
# bench.json, pytorch.txt, metrics.csv (the training's). Build logs and the training's run
# folder stay in a work folder outside it.
#
# Bring the Debian packages along first (on a machine with apt), into .deps/:
#   apt-get download libnifti2-dev libnifti2-2 libniftiio-dev libznz3 libznz-dev libstb-dev \
#     libstb0 catch2 libopenblas-dev libopenblas0 libopenblas0-openmp libopenblas-openmp-dev \
#     libgfortran5
# (the OpenMP build of OpenBLAS: cmake/Dependencies.cmake says why; the pthread one also works)
set -uo pipefail

dry_run=false
if [ "${1:-}" = --dry-run ]; then
  dry_run=true
  shift
fi
out=${1:?usage: tools/device_check.sh [--dry-run] OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.." && root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/unet3d_device_check.XXXXXX")
rm -f "$out"/{summary.md,device_check.log,gpu_tests.log,cudnn_probe.md,memcheck.log,bench.json,pytorch.txt,metrics.csv}
exec 3>&1 4>&2
exec > >(tee "$out/device_check.log") 2>&1
tee_pid=$!
started=$(date +%s)
mode=$($dry_run && echo "dry run (no GPU expected)" || echo "GPU run")

# Stage budgets in seconds; each sum is under its deadline (6 minutes on the GPU machine, 3 for
# a dry run), so one stage running to its limit leaves the rest their time.
if $dry_run; then
  budgets=(versions=5 build=5 gpu_tests=40 nccl=5 probe=10 memcheck=10 bench=40 pytorch=20 training=25)
  build="${UNET3D_BUILD_DIR:-$root/build}" # the ctest test that runs a dry run names its own
else
  budgets=(versions=5 build=100 gpu_tests=50 nccl=10 probe=25 memcheck=25 bench=55 pytorch=25 training=60)
  build="$root/build-device"
fi
budget() {
  local entry
  for entry in "${budgets[@]}"; do [ "${entry%%=*}" = "$1" ] && echo "${entry#*=}"; done
}

rows=()
write_summary() {
  {
    echo "# device_check $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '(no git)')," \
      "$mode, $(date -u '+%F %H:%M') UTC, $(($(date +%s) - started)) s"
    echo
    echo "| stage | status | seconds | detail |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$out/summary.md"
}
# stage NAME: runs stage_NAME with $limit set to its budget; the function sets $status (ok,
# FAIL or unavailable) and $detail.
failed=0
stage() {
  local name=$1 begun
  limit=$(budget "$name")
  status=FAIL detail=""
  begun=$(date +%s)
  echo
  echo "== $name (budget ${limit} s)"
  "stage_$name"
  [ "$status" = FAIL ] && failed=$((failed + 1))
  rows+=("| $name | $status | $(($(date +%s) - begun)) | ${detail//|/\/} |")
  echo "-- $name: $status: $detail"
  write_summary
}
# Runs a command for at most $limit seconds (SIGTERM, then SIGKILL 10 s later); its status.
bounded() { timeout --preserve-status --kill-after=10 "$limit" "$@"; }

finish() {
  write_summary
  echo
  cat "$out/summary.md"
  exec 1>&3 2>&4
  wait "$tee_pid" 2>/dev/null # let tee write the log's last lines
  rm -rf "$work"
}
trap finish EXIT

gpu_visible=false
stage_versions() {
  local card nvcc_version
  if command -v nvidia-smi >/dev/null && card=$(nvidia-smi --query-gpu=name,driver_version,memory.total \
    --format=csv,noheader 2>/dev/null | head -1) && [ -n "$card" ]; then
    gpu_visible=true
  else
    card="none visible"
  fi
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  nvcc_version=$("$nvcc" --version 2>/dev/null | grep -o 'release [0-9.]*' || echo "no nvcc")
  detail="card: $card; nvcc $nvcc_version; $(cmake --version | head -1); python3 $(python3 -c \
    'import sys; print(sys.version.split()[0])' 2>/dev/null || echo absent)"
  status=ok
}

# The dependencies (carried .deb files unpacked under .deps/prefix, cuDNN and cuBLAS from the
# toolkit or the Python packages), then configure and build.
stage_build() {
  if $dry_run; then
    if [ -x "$build/tests/unet3d_tests" ] && [ -x "$build/bench/bench" ]; then
      status=ok detail="dry run: the configured build/ as it is (not rebuilt)"
    else
      detail="dry run needs a built build/ (bash tools/bootstrap.sh)"
    fi
    return
  fi
  local prefix="$root/.deps/prefix" debs cudnn_root="" cublas_root="" nccl_root="" cudnn_version="not found"
  shopt -s nullglob
  debs=("$root"/.deps/*.deb)
  mkdir -p "$prefix"
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$prefix" || echo "cannot unpack $deb"; done
  echo "unpacked ${#debs[@]} .deb files into $prefix"
  for dir in /usr/local/cuda /usr /usr/local/cuda/targets/x86_64-linux; do
    if [ -f "$dir/include/cudnn_version.h" ]; then cudnn_root=$dir; break; fi
  done
  [ -n "$cudnn_root" ] ||
    cudnn_root=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null)
  if [ -n "$cudnn_root" ] && [ -f "$cudnn_root/include/cudnn_version.h" ]; then
    cudnn_version=$(awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) /{printf "%s%s", sep, $3; sep="."}' \
      "$cudnn_root/include/cudnn_version.h")
  fi
  # cuBLAS: the toolkit's, else the nvidia-cublas Python package's (nvidia/cu13 for CUDA 13
  # wheels, nvidia/cublas for older ones).
  if ! ls /usr/local/cuda/lib64/libcublas.so* >/dev/null 2>&1; then
    cublas_root=$(python3 -c "
import nvidia, os
for sub in ('cu13', 'cublas'):
    d = os.path.join(list(nvidia.__path__)[0], sub)
    if os.path.isdir(os.path.join(d, 'include')): print(d); break" 2>/dev/null)
  fi
  # NCCL (optional): the toolkit's, else the nvidia-nccl Python package's.
  if ! ls /usr/local/cuda/lib64/libnccl.so* >/dev/null 2>&1; then
    nccl_root=$(python3 -c "
import nvidia, os
for sub in ('nccl', 'cu13'):
    d = os.path.join(list(nvidia.__path__)[0], sub)
    if os.path.isfile(os.path.join(d, 'include', 'nccl.h')): print(d); break" 2>/dev/null)
  fi
  local multiarch="$prefix/usr/lib/x86_64-linux-gnu" dirs=""
  for dir in /usr/local/cuda/lib64 ${cudnn_root:+$cudnn_root/lib $cudnn_root/lib64} \
    ${cublas_root:+$cublas_root/lib} ${nccl_root:+$nccl_root/lib}; do
    [ -d "$dir" ] && dirs="$dirs:$dir"
  done
  # The unpacked Debian libraries go last, so the machine's own (newer) ones win for others.
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$dirs:$multiarch:$multiarch/openblas-openmp:$multiarch/openblas-pthread"
  local generator=()
  command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && generator=(-G Ninja)
  if bounded cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix/usr" \
    ${cudnn_root:+-DCUDNN_ROOT="$cudnn_root"} ${cublas_root:+-DCUBLAS_ROOT="$cublas_root"} \
    ${nccl_root:+-DNCCL_ROOT="$nccl_root"} \
    >"$work/configure.log" 2>&1 &&
    bounded cmake --build "$build" -j"$(nproc)" >"$work/build.log" 2>&1; then
    status=ok
  fi
  tail -n 15 "$work/configure.log" "$work/build.log"
  detail="cuDNN $cudnn_version from ${cudnn_root:-nowhere}; cuBLAS from ${cublas_root:-the toolkit}; NCCL from ${nccl_root:-the toolkit, if there}; ${#debs[@]} .deb files"
}

# ctest's own files go to a folder of their own (a CTestTestfile that includes the build's), so
# a dry run inside an outer ctest leaves that one's logs alone.
stage_gpu_tests() {
  [ -x "$build/tests/unet3d_tests" ] || { detail="no build"; return; }
  local nested="$work/ctest" log="$out/gpu_tests.log" skipped ran
  mkdir -p "$nested"
  echo "subdirs(\"$build\")" >"$nested/CTestTestfile.cmake"
  # Each test is a process of its own, and starting CUDA costs each a second or two: 8 at once,
  # their CPU references 2 OpenMP threads each on the 16 cores.
  OMP_NUM_THREADS=2 bounded ctest --test-dir "$nested" -L gpu -j8 --output-on-failure >"$log" 2>&1
  local code=$?
  ran=$(grep -E "tests passed" "$log" || echo "no summary line (cut at ${limit} s?)")
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - gpu(-e2e)?:.*\(Skipped\)' "$log")
  tail -n 25 "$log"
  detail="$ran; $skipped skipped"
  if [ "$skipped" -gt 0 ]; then
    detail="$detail: $(grep -m1 -h '^SKIPPED: ' "$nested"/Testing/Temporary/LastTest.log | sed 's/^SKIPPED: //')"
    if $dry_run && [ "$code" = 0 ]; then status=unavailable; fi
    return # on the GPU machine a skipped GPU test fails the check: they are what it is for
  fi
  [ "$code" = 0 ] && status=ok
}

# NCCL with one rank, bootstrapped without MPI (the GPU test tagged [nccl]), where the build has
# NCCL; unavailable where it has not.
stage_nccl() {
  local log="$work/nccl.txt" code
  if ! grep -q "kBuiltWithNccl = true" "$build/generated/unet3d/build_config.h" 2>/dev/null; then
    status=unavailable detail="this build has no NCCL (configure found none)"
    return
  fi
  bounded "$build/tests/unet3d_gpu_tests" "[nccl]" >"$log" 2>&1
  code=$?
  cat "$log"
  if [ "$code" = 77 ]; then # the GPU tests' skip code
    detail=$(grep -m1 '^SKIPPED: ' "$log" | sed 's/^SKIPPED: //')
    $dry_run && status=unavailable
    return
  fi
  detail="$(grep -m1 -E 'All tests passed|test cases' "$log") (exit $code)"
  [ "$code" = 0 ] && status=ok
}

stage_probe() {
  local file="$out/cudnn_probe.md" code
  bounded "$build/tools/cudnn_probe" --out "$file" >"$work/probe.txt" 2>&1
  code=$?
  cat "$work/probe.txt"
  if [ "$code" != 0 ] && grep -q "needs a GPU" "$work/probe.txt"; then
    [ -f "$file" ] || cp "$work/probe.txt" "$file"
    $dry_run && status=unavailable
    detail=$(tail -n 1 "$work/probe.txt")
    return
  fi
  detail="$(grep -c '^### ' "$file" 2>/dev/null || echo 0) convolutions probed (exit $code)"
  [ "$code" = 0 ] && status=ok
}

stage_memcheck() {
  local sanitizer log="$out/memcheck.log"
  sanitizer=$(command -v compute-sanitizer ||
    ls "${CUDA_HOME:-/usr/local/cuda}"/bin/compute-sanitizer \
      "${CUDA_HOME:-/usr/local/cuda}"/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
  if [ -z "$sanitizer" ]; then
    echo "compute-sanitizer: not on PATH nor under the CUDA toolkit" >"$log"
    status=unavailable detail="compute-sanitizer not found"
    return
  fi
  # No convolutions (cuDNN's Find under the sanitizer takes minutes), no training, nothing large.
  bounded "$sanitizer" --tool memcheck --error-exitcode 99 "$build/tests/unet3d_gpu_tests" \
    "~[conv]~[training]~[large]" >"$log" 2>&1
  local code=$?
  tail -n 8 "$log"
  if grep -qi "device not supported" "$log"; then
    status=unavailable detail="compute-sanitizer: device not supported on this machine"
  elif grep -q "^SKIPPED: " "$log"; then
    $dry_run && status=unavailable
    detail=$(grep -m1 "^SKIPPED: " "$log")
  else
    detail=$(grep -E "ERROR SUMMARY|All tests passed|test cases:" "$log" | tr '\n' ' ')
    [ "$code" = 0 ] && status=ok
  fi
}

stage_bench() {
  local args=(--device cuda --seconds 0.2)
  # The dry run's tiny patch would slide 14,415 windows over the 256x256x128 volume: that case is
  # the GPU's to time.
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 1 --seconds 0.02
                    --filter '^(?!sliding window)')
  bounded "$build/bench/bench" "${args[@]}" --json "$out/bench.json" 2>&1
  local code=$?
  detail="exit $code; $(grep -o '"training_step_ms": [0-9.]*' "$out/bench.json" 2>/dev/null || echo 'no bench.json')"
  [ "$code" = 0 ] && status=ok
}

stage_pytorch() {
  local file="$out/pytorch.txt" args=(--device cuda --steps 10)
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 1 --steps 2)
  if ! python3 -c "import torch" >/dev/null 2>&1; then
    echo "python3 has no torch" >"$file"
    status=unavailable detail="python3 has no torch"
    return
  fi
  # Eager AMP with channels_last_3d alone: torch.compile takes longer than the stage may.
  bounded python3 bench/pytorch_unet3d.py "${args[@]}" --modes channels_last \
    --compare "$out/bench.json" \
    >"$file" 2>&1
  local code=$?
  cat "$file"
  detail=$(grep -E "x the time" "$file" | tr '\n' ' ')
  [ "$code" = 0 ] && status=ok
}

# Trains until its budget's SIGTERM, which the trainer answers with a checkpoint and exit 143.
stage_training() {
  local run="$work/training" args code epochs
  args=(--device cuda --precision fp16 --size 96 --features 32 --depth 4 --batch 2 --accum 1
    --phantoms 20 --phantom-size 128,128,64)
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 2 --accum 1
    --phantoms 8 --phantom-size 32,32,16)
  limit=$((limit - 5)) # the checkpoint and the exit fit in the rest
  bounded "$build/tools/trainer" --out "$run" --epochs 1000 "${args[@]}" >"$work/training.txt" 2>&1
  code=$?
  tail -n 6 "$work/training.txt"
  grep -m1 "cuDNN planning" "$work/training.txt"
  [ -f "$run/metrics.csv" ] && cp "$run/metrics.csv" "$out/metrics.csv"
  epochs=$(($(wc -l <"$out/metrics.csv" 2>/dev/null || echo 1) - 1))
  detail="exit $code after ${limit} s; $epochs epochs in metrics.csv"
  if [ "$epochs" -ge 1 ]; then
    detail="$detail; last validation mean Dice $(tail -n 1 "$out/metrics.csv" | awk -F, '{print $(NF-4)}')"
    { [ "$code" = 143 ] || [ "$code" = 0 ]; } && status=ok
  fi
}

echo "device_check: $mode, into $out (work folder $work)"
for name in versions build gpu_tests nccl probe memcheck bench pytorch training; do
  stage "$name"
done
[ "$failed" = 0 ]
