// Entry point of the data-parallel tests: every rank of `mpirun -np N` (N >= 2) runs them all,
// the collectives in the same order; started alone they are skipped.
#include "runtime/communicator.h"
#include "tests/support/runner.h"

int main(int argc, char** argv) {
  const int code = unet3d::testing::run_catch_or_skip(argc, argv, [] {
    return unet3d::Communicator::world().size() >= 2
               ? std::string()
               : std::string("not started by mpirun with at least 2 ranks");
  });
  // A rank that failed may have left the others waiting in a collective: end them all.
  if (code != 0 && code != unet3d::testing::kSkipExitCode)
    unet3d::Communicator::world().abort(code);
  return code;
}
