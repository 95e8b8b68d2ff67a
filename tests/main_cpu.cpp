// Entry point of the CPU test executable: these tests always run.
#include "tests/support/runner.h"

int main(int argc, char** argv) {
  return unet3d::testing::run_catch_or_skip(argc, argv, [] { return std::string(); });
}
