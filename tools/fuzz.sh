#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers of untrusted input (NIfTI, safetensors, JSON, flags,
# preprocessing cache files):
# builds the libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build-fuzz/, then runs each, seed 1, for a time (--seconds N, default 60) or a number of
# executions (--runs N, what CI does). Each corpus starts from fuzz/seeds/<target>/ and, for the
# NIfTI reader, real volumes of the test data; the inputs of past findings, fuzz/regressions/
# <target>/, run first. A finding stops the run (exit 1) and leaves its input in
# build-fuzz/findings/; fix it and keep the input under fuzz/regressions/<target>/.
#
#   tools/fuzz.sh [--seconds N | --runs N] [nifti|safetensors|json|flags|cache ...]
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=60)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    nifti|safetensors|json|flags|cache) targets+=("$1"); shift ;;
    *) echo "tools/fuzz.sh: unknown argument '$1' (see the comment at its top)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(nifti safetensors json flags cache)

build=build-fuzz
generator=()
command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DUNET3D_WITH_CUDA=OFF -DUNET3D_BUILD_TESTS=OFF \
  -DUNET3D_FUZZ=ON >/dev/null
cmake --build "$build" --target unet3d_fuzzers -j"$(nproc)"

data=${UNET3D_TEST_DATA:-../shared/data}/hippocampus
mkdir -p "$build/findings"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  cp fuzz/seeds/"$target"/* "$corpus"/
  if [ "$target" = nifti ] && [ -d "$data" ]; then
    # A few real volumes, their images and labels.
    for f in $(ls "$data"/imagesTr/*.nii.gz | head -3) $(ls "$data"/labelsTr/*.nii.gz | head -3); do
      cp "$f" "$corpus/real_$(basename "$f")"
    done
  fi
  regressions=()
  [ -d "fuzz/regressions/$target" ] && regressions=(fuzz/regressions/"$target"/*)
  if [ ${#regressions[@]} -gt 0 ] && [ -e "${regressions[0]}" ]; then
    "$build/fuzz/fuzz_$target" "${regressions[@]}" >/dev/null 2>&1 ||
      { echo "fuzz_$target: a kept regression input fails again" >&2; exit 1; }
  fi
  echo "== fuzz_$target (${limit[*]}, seed 1) =="
  log="$build/findings/$target.log"
  if ! "$build/fuzz/fuzz_$target" "${limit[@]}" -seed=1 -max_len=65536 -timeout=10 \
      -artifact_prefix="$build/findings/${target}_" -print_final_stats=1 "$corpus" \
      >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz_$target: finding (input in $build/findings/)" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | sed 's/^/  /'
done
