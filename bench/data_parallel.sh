#!/usr/bin/env bash
# Data-parallel training on the CPU, measured side by side: the same global batch trained by
# 1 rank x 1 thread, 1 rank x 2 threads (OpenMP) and 2 ranks x 1 thread (mpirun), alternating
# over --repeats rounds; prints each run's optimizer steps per second (training time only, from
# metrics.csv) and the medians' ratios. Usage:
#   bench/data_parallel.sh [--data DIR] [--repeats N] [--epochs N] [--build DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/../shared/data/hippocampus" repeats=3 epochs=2 build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "bench/data_parallel.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
trainer="$build/tools/trainer"
[ -x "$trainer" ] || { echo "no $trainer: build first (tools/bootstrap.sh)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "no mpirun: apt-get install openmpi-bin" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Root and containers: as the mpi tests run it.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader \
  OMPI_MCA_btl_vader_single_copy_mechanism=none
# 32^3, 8 features, depth 3, the Dice loss, one micro-batch per step, a global batch of 2.
flags=(--data "$data" --size 32 --features 8 --depth 3 --accum 1 --epochs "$epochs"
  --val-every 1000 --device cpu)

# steps/s of a finished run folder: its epochs' micro-batches over their training seconds.
steps_per_second() {
  python3 - "$1/metrics.csv" "$1/train.log" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
log = open(sys.argv[2]).read()
train = int(re.search(r"split: (\d+) training", log).group(1))
batch = int(re.search(r"--batch (\d+)", log).group(1))
ranks = int(re.search(r"data-parallel: (\d+) ranks", log).group(1)) if "data-parallel:" in log else 1
per_epoch = max(1, train // (batch * ranks))
seconds = sum(float(r["seconds"]) for r in rows)
print(f"{per_epoch * len(rows) / seconds:.3f}")
PY
}

declare -A results
run() {  # name, then the command's words
  local name=$1 out="$work/$1_$round"
  shift
  "$@" "${flags[@]}" --out "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
  results[$name]="${results[$name]:-} $(steps_per_second "$out")"
}
for round in $(seq 1 "$repeats"); do
  run one_thread env OMP_NUM_THREADS=1 "$trainer" --batch 2 --threads 1
  run two_threads env OMP_NUM_THREADS=2 "$trainer" --batch 2 --threads 2
  run two_ranks mpirun --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "$trainer" --batch 1 --threads 1
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "steps/s over $repeats rounds (global batch 2, $(nproc) cores):"
for name in one_thread two_threads two_ranks; do
  echo "  $name:${results[$name]}  median $(echo "${results[$name]}" | median)"
done
m1=$(echo "${results[one_thread]}" | median)
m2=$(echo "${results[two_threads]}" | median)
mr=$(echo "${results[two_ranks]}" | median)
python3 -c "print(f'2 ranks x 1 thread / 1 rank x 2 threads: {$mr / $m2:.3f}; 2 ranks / 1 thread: {$mr / $m1:.3f}; 2 threads / 1 thread: {$m2 / $m1:.3f}')"
