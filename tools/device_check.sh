#!/usr/bin/env bash
# The whole check of the CUDA path on a GPU machine, in one unattended run under one deadline
# (480 s by default; start it with a 540 s limit on the command): versions; a Release build for
# sm_90 of only what the stages run, from carried .deb dependencies; the GPU tests (ctest labels
# gpu and gpu-e2e; a skipped one fails here unless it says why); a 60-second phantom training at
# 96^3, 32 features, fp16, whose loss must fall; bench, bounded and writing its JSON as it goes;
# the PyTorch baseline on its own; the cuDNN probe; NCCL with one rank; compute-sanitizer
# memcheck on a named set of the project's own kernels. Each stage gets the smaller of its budget
# and the time left; one that overruns is killed (with every process it started) and marked
# TIMEOUT, and the rest still run. summary.md is rewritten after every stage, so a run cut short still says what
# passed.
#
#   tools/device_check.sh [--deadline S] OUTDIR            on the GPU machine
#   tools/device_check.sh --dry-run [--deadline S] OUTDIR  here, without a GPU: every stage
#       against the configured build/ (its targets brought up to date, no configure) at tiny
#       sizes, under the dry run's own budgets; what needs a GPU, cuDNN or torch says
#       "unavailable" and does not fail the run. The summary states each stage's budget on the
#       card beside the limit it ran under.
#   For the script's own test: --stages a,b,c (only those, in the usual order), --budget NAME=S
#   (this run's budget of a stage), --stand-in NAME=S (the stage replaced by a sleep of S s).
#
# OUTDIR receives at most these 8 files (each well under 16 MiB, no folders): summary.md,
# device_check.log (everything printed), gpu_tests.log, cudnn_probe.md, memcheck.log,
# bench.json, pytorch.txt, metrics.csv (the training's). Build logs, the training's run folder
# and the PyTorch figures' JSON stay in a work folder outside it.
#
# Bring the Debian packages along first (on a machine with apt), into .deps/:
#   apt-get download libnifti2-dev libnifti2-2 libniftiio-dev libznz3 libznz-dev libstb-dev \
#     libstb0 catch2 libopenblas-dev libopenblas0 libopenblas0-openmp libopenblas-openmp-dev \
#     libgfortran5
# (the OpenMP build of OpenBLAS: cmake/Dependencies.cmake says why; the pthread one also works)
set -uo pipefail

all_stages=(versions build gpu_tests training bench pytorch probe nccl memcheck)
# Seconds per stage on the card (summing to 470 of the 480 s deadline) and in a dry run here
# (145 of 180). The build's is a measured local build of its targets with a margin (docs/gpu.md).
card_budgets=(versions=10 build=90 gpu_tests=105 training=70 bench=60 pytorch=60 probe=30 nccl=10
              memcheck=35)
dry_budgets=(versions=10 build=20 gpu_tests=20 training=25 bench=40 pytorch=10 probe=5 nccl=5
             memcheck=10)
kill_after=5 # seconds between an overrunning stage's SIGTERM and its SIGKILL

at_least_1() { echo $(($1 > 1 ? $1 : 1)); }

lookup() { # lookup NAME ENTRY...: the value of NAME=value among the entries
  local name=$1 entry
  shift
  for entry in "$@"; do [ "${entry%%=*}" = "$name" ] && echo "${entry#*=}"; done
}

# Every process descended from $1, itself included, from one snapshot of the process table (a
# child that made a process group or session of its own is still found).
process_tree() {
  ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 }
    END { for (p in parent) { q = p; while (q != root && q in parent && q > 1) q = parent[q]
                              if (q == root) print p } }'
}

# Runs a command for at most $1 seconds; past them, SIGTERM to it and everything it started,
# SIGKILL to what is left $kill_after seconds later, and timed_out=1. Its exit status either way.
run_bounded() {
  local limit=$1 pid tree waited=0
  shift
  timed_out=0
  "$@" &
  pid=$!
  local end=$(($(date +%s%3N) + limit * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s%3N)" -ge "$end" ]; then
      tree=$(process_tree "$pid")
      # shellcheck disable=SC2086 # a list of process ids
      kill -TERM $tree 2>/dev/null
      while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((kill_after * 5)) ]; do
        sleep 0.2
        waited=$((waited + 1))
      done
      # shellcheck disable=SC2086
      kill -KILL $tree 2>/dev/null
      timed_out=1
      break
    fi
    sleep 0.2
  done
  wait "$pid"
}

# ---------------------------------------------------------------------------------------------
# The stages. Each runs in a process of its own (a stage that overruns is killed whole), with
# $limit its seconds, and ends by setting $status (ok, FAIL or unavailable) and $detail.

stage_versions() {
  local card nvcc_version
  if command -v nvidia-smi >/dev/null && card=$(timeout 20 nvidia-smi \
    --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1) &&
    [ -n "$card" ]; then
    :
  else
    card="none visible"
  fi
  nvcc_version=$(timeout 20 "$nvcc" --version 2>/dev/null | grep -o 'release [0-9.]*' || echo "no nvcc")
  detail="card: $card; nvcc $nvcc_version; $(cmake --version | head -1); python3 $(timeout 20 \
    python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo absent); $deps_found"
  status=ok
}

# The targets the stages run: the GPU tests first (their e2e executable brings the trainer).
stage_targets() {
  if grep -q "kBuiltWithCuda = true" "$build/generated/unet3d/build_config.h" 2>/dev/null ||
    ! $dry_run; then
    echo "unet3d_gpu_tests unet3d_gpu_e2e_tests"
  fi
  echo "trainer bench cudnn_probe"
}

stage_build() {
  local log="$work/build.log" code=0 line
  : >"$log"
  if ! $dry_run; then
    local generator=()
    command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && generator=(-G Ninja)
    cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$prefix/usr" \
      ${cudnn_root:+-DCUDNN_ROOT="$cudnn_root"} ${cublas_root:+-DCUBLAS_ROOT="$cublas_root"} \
      ${nccl_root:+-DNCCL_ROOT="$nccl_root"} >>"$log" 2>&1 || code=$?
  fi
  if [ "$code" = 0 ]; then
    while read -r line; do
      # shellcheck disable=SC2086 # a list of target names
      cmake --build "$build" -j"$(nproc)" --target $line >>"$log" 2>&1 || { code=$?; break; }
    done < <(stage_targets)
  fi
  tail -n 15 "$log"
  detail="targets $(stage_targets | tr '\n' ' ')(exit $code); $deps_found"
  $dry_run && detail="dry run: the configured build/ brought up to date, not configured; $detail"
  [ "$code" = 0 ] && status=ok
}

# ctest's own files go to a folder of their own (a CTestTestfile that includes the build's), so
# a dry run inside an outer ctest leaves that one's logs alone.
stage_gpu_tests() {
  [ -f "$build/CTestTestfile.cmake" ] || { detail="no build"; return; }
  local nested="$work/ctest" log="$out/gpu_tests.log" skipped unexplained ran code
  mkdir -p "$nested"
  echo "subdirs(\"$build\")" >"$nested/CTestTestfile.cmake"
  # Each test is a process of its own, and starting CUDA costs each a second or two: 8 at once,
  # their CPU references 2 OpenMP threads each on the 16 cores.
  OMP_NUM_THREADS=2 ctest --test-dir "$nested" -L gpu -j8 --output-on-failure >"$log" 2>&1
  code=$?
  if ! ran=$(grep -E "tests passed" "$log"); then
    detail="ctest ran no GPU test (exit $code): $(grep -m1 -iE "no tests|error" "$log")"
    return
  fi
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - gpu(-e2e)?:.*\(Skipped\)' "$log")
  tail -n 25 "$log"
  detail="$ran; $skipped skipped"
  if [ "$skipped" -gt 0 ]; then
    grep -h '^SKIPPED: ' "$nested"/Testing/Temporary/LastTest.log | sort | uniq -c |
      sed -E 's/^ *([0-9]+) SKIPPED: /\1 x /' >"$work/skips"
    detail="$detail: $(head -c 600 "$work/skips" | tr '\n' ';')"
    # A skip that says the card's libraries offer nothing to test is an answer; any other skip
    # on the GPU machine is a failure: the tests are what the machine is for.
    unexplained=$(grep -vc "no deterministic algorithm" "$work/skips")
    if $dry_run; then
      [ "$code" = 0 ] && status=unavailable
      return
    fi
    [ "$unexplained" -gt 0 ] && return
  fi
  [ "$code" = 0 ] && status=ok
}

# Trains until SIGTERM shortly before the stage's limit; the trainer answers with a checkpoint
# and exit 143. The training loss of the last epoch must be below the first's.
stage_training() {
  local run="$work/training" args code epochs first last
  # shellcheck disable=SC2054 # "128,128,64" is one argument
  args=(--device cuda --precision fp16 --size 96 --features 32 --depth 4 --batch 2 --accum 1
    --phantoms 20 --phantom-size 128,128,64)
  # shellcheck disable=SC2054
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 2 --accum 1
    --phantoms 8 --phantom-size 32,32,16)
  local seconds
  seconds=$(at_least_1 $((limit - 8))) # the checkpoint and the exit fit in the rest
  run_bounded "$seconds" "$build/tools/trainer" --out "$run" --epochs 1000 "${args[@]}" \
    >"$work/training.txt" 2>&1
  code=$?
  tail -n 6 "$work/training.txt"
  grep -m1 "cuDNN planning" "$work/training.txt"
  [ -f "$run/metrics.csv" ] && cp "$run/metrics.csv" "$out/metrics.csv"
  epochs=$(($(wc -l <"$out/metrics.csv" 2>/dev/null || echo 1) - 1))
  detail="exit $code after $seconds s; $epochs epochs in metrics.csv"
  [ "$epochs" -ge 2 ] || return
  read -r first last < <(awk -F, 'NR == 2 {f = $2} END {print f, $2}' "$out/metrics.csv")
  detail="$detail; train loss $first -> $last; last validation mean Dice $(tail -n 1 \
    "$out/metrics.csv" | awk -F, '{print $(NF-4)}')"
  if awk -v f="$first" -v l="$last" 'BEGIN {exit !(l < f)}'; then
    { [ "$code" = 143 ] || [ "$code" = 0 ]; } && status=ok
  else
    detail="$detail: the loss did not fall"
  fi
}

# bench bounds itself 10 s inside the stage's limit and rewrites bench.json after every case.
stage_bench() {
  local args=(--device cuda --seconds 0.2)
  # The dry run's tiny patch would slide 14,415 windows over the 256x256x128 volume: that case is
  # the GPU's to time.
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 1 --seconds 0.02
                    --filter '^(?!sliding window)')
  "$build/bench/bench" "${args[@]}" --max-seconds "$(at_least_1 $((limit - 10)))" \
    --json "$out/bench.json" 2>&1
  local code=$?
  if [ -f "$out/bench.json" ]; then
    detail="exit $code; $(grep -o '"training_step_ms": [0-9.a-z]*' "$out/bench.json"); $(grep -c \
      '"outcome": "not run"' "$out/bench.json") case(s) not run (time limit)"
  else
    detail="exit $code; no bench.json"
  fi
  [ "$code" = 0 ] && status=ok
}

# The PyTorch baseline on its own: its figures in pytorch.txt (and as JSON in the work folder);
# the summary sets them beside bench's where both exist.
stage_pytorch() {
  local file="$out/pytorch.txt" args=(--device cuda --steps 10)
  $dry_run && args=(--device cpu --size 16 --features 4 --depth 2 --batch 1 --steps 2)
  if ! python3 -c "import torch" >/dev/null 2>&1; then
    echo "python3 has no torch" >"$file"
    status=unavailable detail="python3 has no torch"
    return
  fi
  # Eager AMP with channels_last_3d alone: torch.compile takes longer than the stage may.
  python3 bench/pytorch_unet3d.py "${args[@]}" --modes channels_last \
    --max-seconds "$(at_least_1 $((limit / 2)))" --json "$work/pytorch.json" >"$file" 2>&1
  local code=$?
  cat "$file"
  detail=$(grep -E "training step" "$file" | tr '\n' ' ')
  [ "$code" = 0 ] && status=ok
}

stage_probe() {
  local file="$out/cudnn_probe.md" code
  "$build/tools/cudnn_probe" --out "$file" >"$work/probe.txt" 2>&1
  code=$?
  cat "$work/probe.txt"
  if [ "$code" != 0 ] && grep -q "needs a GPU" "$work/probe.txt"; then
    [ -f "$file" ] || cp "$work/probe.txt" "$file"
    $dry_run && status=unavailable
    detail=$(tail -n 1 "$work/probe.txt")
    return
  fi
  detail="$(tail -n 1 "$work/probe.txt") (exit $code)"
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
  [ -x "$build/tests/unet3d_gpu_tests" ] || { detail="no GPU tests in this build"; return; }
  "$build/tests/unet3d_gpu_tests" "[nccl]" >"$log" 2>&1
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

# The GPU tests tagged [memcheck]: the project's own kernels only (no cuDNN, cuBLAS or NCCL,
# which take minutes under the sanitizer or report their own API errors there); a CPU test
# holds the list.
stage_memcheck() {
  local sanitizer log="$out/memcheck.log" code
  sanitizer=$(command -v compute-sanitizer ||
    ls "${CUDA_HOME:-/usr/local/cuda}"/bin/compute-sanitizer \
      "${CUDA_HOME:-/usr/local/cuda}"/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
  if [ -z "$sanitizer" ]; then
    echo "compute-sanitizer: not on PATH nor under the CUDA toolkit" >"$log"
    status=unavailable detail="compute-sanitizer not found"
    return
  fi
  [ -x "$build/tests/unet3d_gpu_tests" ] || { detail="no GPU tests in this build"; return; }
  "$sanitizer" --tool memcheck --error-exitcode 99 "$build/tests/unet3d_gpu_tests" "[memcheck]" \
    >"$log" 2>&1
  code=$?
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

# Where the build's dependencies come from: the carried .deb files unpacked under
# .deps/prefix, cuDNN, cuBLAS and NCCL from the toolkit or NVIDIA's Python packages. Sets and
# exports what the build and the programs it makes need (every stage inherits them).
find_dependencies() {
  prefix="$root/.deps/prefix" cudnn_root="" cublas_root="" nccl_root=""
  local debs cudnn_version="not found" deb dir dirs="" multiarch="$root/.deps/prefix/usr/lib/x86_64-linux-gnu"
  shopt -s nullglob
  debs=("$root"/.deps/*.deb)
  shopt -u nullglob
  mkdir -p "$prefix"
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$prefix" || echo "cannot unpack $deb"; done
  for dir in /usr/local/cuda /usr /usr/local/cuda/targets/x86_64-linux; do
    if [ -f "$dir/include/cudnn_version.h" ]; then cudnn_root=$dir; break; fi
  done
  [ -n "$cudnn_root" ] || cudnn_root=$(timeout 20 python3 -c \
    "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null)
  if [ -n "$cudnn_root" ] && [ -f "$cudnn_root/include/cudnn_version.h" ]; then
    cudnn_version=$(awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) /{printf "%s%s", sep, $3; sep="."}' \
      "$cudnn_root/include/cudnn_version.h")
  fi
  # cuBLAS: the toolkit's, else the nvidia-cublas Python package's (nvidia/cu13 for CUDA 13
  # wheels, nvidia/cublas for older ones); NCCL (optional) likewise.
  if ! ls /usr/local/cuda/lib64/libcublas.so* >/dev/null 2>&1; then
    cublas_root=$(timeout 20 python3 -c "
import nvidia, os
for sub in ('cu13', 'cublas'):
    d = os.path.join(list(nvidia.__path__)[0], sub)
    if os.path.isdir(os.path.join(d, 'include')): print(d); break" 2>/dev/null)
  fi
  if ! ls /usr/local/cuda/lib64/libnccl.so* >/dev/null 2>&1; then
    nccl_root=$(timeout 20 python3 -c "
import nvidia, os
for sub in ('nccl', 'cu13'):
    d = os.path.join(list(nvidia.__path__)[0], sub)
    if os.path.isfile(os.path.join(d, 'include', 'nccl.h')): print(d); break" 2>/dev/null)
  fi
  for dir in /usr/local/cuda/lib64 ${cudnn_root:+$cudnn_root/lib $cudnn_root/lib64} \
    ${cublas_root:+$cublas_root/lib} ${nccl_root:+$nccl_root/lib}; do
    [ -d "$dir" ] && dirs="$dirs:$dir"
  done
  # The unpacked Debian libraries go last, so the machine's own (newer) ones win for others.
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$dirs:$multiarch:$multiarch/openblas-openmp:$multiarch/openblas-pthread"
  export prefix cudnn_root cublas_root nccl_root
  deps_found="cuDNN $cudnn_version from ${cudnn_root:-nowhere}; cuBLAS from ${cublas_root:-the toolkit}; NCCL from ${nccl_root:-the toolkit, if there}; ${#debs[@]} .deb files"
  export deps_found
}

# ---------------------------------------------------------------------------------------------
# One stage in a process of its own (started by the loop below): runs it, or its stand-in, and
# leaves its verdict in the work folder.
if [ "${1:-}" = --run-stage ]; then
  name=$2
  cd "$root" || exit 1
  status=FAIL detail=""
  if [ -n "$stand_in" ] && [ "${stand_in%%=*}" = "$name" ]; then
    sleep "${stand_in#*=}" # the script's own test: a stage that overruns its budget
    status=ok detail="stand-in"
  else
    "stage_$name"
  fi
  printf '%s\n%s\n' "$status" "${detail//$'\n'/; }" >"$work/verdict.$name"
  exit 0
fi

dry_run=false deadline="" only="" stand_in="" overrides=()
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=true ;;
    --deadline) deadline=${2:?--deadline needs seconds}; shift ;;
    --stages) only=${2:?--stages needs a list}; shift ;;
    --budget) overrides+=("${2:?--budget needs NAME=S}"); shift ;;
    --stand-in) stand_in=${2:?--stand-in needs NAME=S}; shift ;;
    -*) echo "device_check: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
out=${1:?usage: tools/device_check.sh [--dry-run] [--deadline S] OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.." && root=$(pwd)
self="$root/tools/device_check.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/unet3d_device_check.XXXXXX")
rm -f "$out"/{summary.md,device_check.log,gpu_tests.log,cudnn_probe.md,memcheck.log,bench.json,pytorch.txt,metrics.csv}
if $dry_run; then
  budgets=("${dry_budgets[@]}") deadline=${deadline:-180} mode="dry run (no GPU expected)"
  build="${UNET3D_BUILD_DIR:-$root/build}" # the ctest test that runs a dry run names its own
else
  budgets=("${card_budgets[@]}") deadline=${deadline:-480} mode="GPU run"
  build="$root/build-device"
fi
budgets+=("${overrides[@]}")
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
export dry_run out root work build nvcc stand_in
exec 3>&1 4>&2
exec > >(tee "$out/device_check.log") 2>&1
tee_pid=$!
started=$(date +%s)

card_total=0
for name in "${all_stages[@]}"; do card_total=$((card_total + $(lookup "$name" "${card_budgets[@]}"))); done
rows=()
failed=0
write_summary() {
  {
    echo "# device_check $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '(no git)')," \
      "$mode, $(date -u '+%F %H:%M') UTC, $(($(date +%s) - started)) s of a $deadline s deadline"
    echo
    echo "Budgets on the card sum to $card_total s of its 480 s deadline; each stage ran under the"
    echo "smaller of this run's budget and the time left (\"limit\")."
    echo
    echo "| stage | status | budget on the card (s) | limit (s) | used (s) | detail |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    if [ -n "${build_failed:-}" ] && [ -f "$work/build.log" ]; then
      echo
      echo "## The build's last lines"
      echo
      echo '```'
      tail -n 40 "$work/build.log"
      echo '```'
    fi
    if [ -f "$out/bench.json" ] && [ -f "$work/pytorch.json" ]; then
      echo
      echo "## unet3d-cuda against PyTorch (same card, same run)"
      echo
      python3 - "$out/bench.json" "$work/pytorch.json" <<'PY' 2>&1
import json, sys
ours, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ms, peak = ours.get("training_step_ms"), ours.get("peak_memory_bytes")
for mode, r in theirs["modes"].items():
    if ms is None:
        print(f"- {mode}: PyTorch {r['training_step_ms']:.1f} ms per step; bench timed no step")
        continue
    memory = f", {peak / 1e6 / r['peak_mb']:.2f}x the peak memory" if peak and r["peak_mb"] == r["peak_mb"] else ""
    print(f"- {mode}: training step {ms:.1f} ms against {r['training_step_ms']:.1f} ms: "
          f"{ms / r['training_step_ms']:.2f}x the time{memory}")
PY
    fi
  } >"$out/summary.md"
}

finish() {
  write_summary
  echo
  cat "$out/summary.md"
  exec 1>&3 2>&4
  wait "$tee_pid" 2>/dev/null # let tee write the log's last lines
  rm -rf "$work"
}
trap finish EXIT

echo "device_check: $mode, into $out (work folder $work), deadline $deadline s"
find_dependencies
for name in "${all_stages[@]}"; do
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  budget=$(lookup "$name" "${budgets[@]}" | tail -n 1)
  left=$((deadline - ($(date +%s) - started)))
  limit=$((budget < left ? budget : left))
  card_budget=$(lookup "$name" "${card_budgets[@]}")
  echo
  echo "== $name (limit $limit s; budget on the card $card_budget s)"
  begun=$(date +%s)
  if [ "$limit" -lt 1 ]; then
    status=TIMEOUT detail="not started: the deadline had passed"
  else
    export limit # the stage reads its own limit
    run_bounded "$limit" bash "$self" --run-stage "$name"
    code=$?
    if [ -f "$work/verdict.$name" ]; then
      { read -r status; read -r detail; } <"$work/verdict.$name"
    elif [ "$timed_out" = 1 ]; then
      status=TIMEOUT detail="killed at its limit of $limit s"
    else
      status=FAIL detail="the stage ended without a verdict (exit $code)"
    fi
  fi
  [ "$name" = build ] && [ "$status" != ok ] && build_failed=1
  case $status in FAIL | TIMEOUT) failed=$((failed + 1)) ;; esac
  rows+=("| $name | $status | $card_budget | $limit | $(($(date +%s) - begun)) | ${detail//|/\/} |")
  echo "-- $name: $status: $detail"
  write_summary
done
[ "$failed" = 0 ]
