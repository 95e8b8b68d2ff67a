// The OpenMP spin bound and the OpenBLAS core, through the environment and one re-execution.
#include "runtime/library_settings.h"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace unet3d {

std::string blas_core_upgrade(const std::string& chosen, bool avx512, bool avx2) {
  // OpenBLAS's x86 cores that have no AVX2 kernels.
  static const char* const kWithoutAvx2[] = {
      "katmai",       "coppermine", "northwood", "prescott",  "banias",      "core2",
      "penryn",       "dunnington", "nehalem",   "atom",      "sandybridge", "opteron",
      "opteron_sse3", "barcelona",  "bobcat",    "bulldozer", "piledriver",  "nano"};
  std::string name = chosen;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool weak =
      std::find(std::begin(kWithoutAvx2), std::end(kWithoutAvx2), name) != std::end(kWithoutAvx2);
  if (!weak) return "";
  if (avx512) return "SkylakeX";
  if (avx2) return "Haswell";
  return "";
}

namespace {

std::string blas_core_wanted() {
#if defined(__x86_64__) && defined(__GNUC__)
  const char* chosen = openblas_get_corename();
  // Feature names both GCC and clang know (clang has no "x86-64-v4").
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return blas_core_upgrade(chosen != nullptr ? chosen : "", avx512, avx2);
#else
  return "";
#endif
}

}  // namespace

void apply_library_settings(char** argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr)
    changed |= ::setenv("GOMP_SPINCOUNT", "1000", 0) == 0;
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr) {
    const std::string core = blas_core_wanted();
    if (!core.empty()) changed |= ::setenv("OPENBLAS_CORETYPE", core.c_str(), 0) == 0;
  }
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure
}

}  // namespace unet3d
