#!/usr/bin/env bash
# Installs the Debian packages the build needs (only those missing, so a second run is quick),
# then configures and builds Release into build/. Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ libnifti2-dev libstb-dev catch2 libopenblas-openmp-dev
          libopenmpi-dev openmpi-bin libprotobuf-dev libonnx-dev python3-onnx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
ci_flags=()
# CI holds the project's own code to zero warnings.
[ "${CI:-}" = true ] && ci_flags=(-DUNET3D_WERROR=ON)

# An existing build/ keeps its generator; only a fresh one picks Ninja.
[ -f build/CMakeCache.txt ] && generator=()
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${ci_flags[@]}" "$@"
cmake --build build -j"$(nproc)"
