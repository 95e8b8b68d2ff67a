// The OpenMP spin bound, through the environment and one re-execution.
#include "runtime/openmp_wait.h"

#include <unistd.h>

#include <cstdlib>

namespace unet3d {

void bound_openmp_spinning(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (::setenv("GOMP_SPINCOUNT", "1000", 0) != 0) return;
  ::execv("/proc/self/exe", argv);  // returns only on failure
}

}  // namespace unet3d
