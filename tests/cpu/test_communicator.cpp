// The communicator without a launcher: the launchers' environment read, and a world of one in
// which sums and broadcasts leave the data as it is (tests/mpi runs the world of several).
#include <catch2/catch.hpp>
#include <vector>

#include "runtime/communicator.h"
#include "runtime/error.h"
#include "tests/support/error_of.h"

using namespace unet3d;

TEST_CASE("the launchers' environment says how many processes were started", "[communicator]") {
  CHECK(launched_ranks({}) == 1);
  CHECK(launched_ranks({{"HOME", "/root"}}) == 1);
  CHECK(launched_ranks({{"OMPI_COMM_WORLD_SIZE", "4"}}) == 4);
  CHECK(launched_ranks({{"PMI_SIZE", "3"}}) == 3);
  CHECK(launched_ranks({{"SLURM_STEP_NUM_TASKS", "8"}}) == 8);
  // Open MPI's own variable wins over Slurm's (mpirun inside an allocation).
  CHECK(launched_ranks({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_STEP_NUM_TASKS", "8"}}) == 2);
  for (const char* bad : {"", "x", "0", "-2", "3.5"})
    CHECK_THAT(testing::error_of(
                   [&] {
                     launched_ranks({{"PMI_SIZE", bad}});
                   },
                   ErrorKind::usage),
               Catch::Contains("PMI_SIZE='") && Catch::Contains("is not a number of processes"));
}

TEST_CASE("the launchers' variables say a process's local rank", "[communicator]") {
  CHECK(local_rank({}) == 0);
  CHECK(local_rank({{"OMPI_COMM_WORLD_LOCAL_RANK", "3"}}) == 3);
  CHECK(local_rank({{"MPI_LOCALRANKID", "0"}}) == 0);
  CHECK(local_rank({{"SLURM_LOCALID", "7"}}) == 7);
  for (const char* bad : {"", "x", "-1", "1.5"})
    CHECK_THAT(testing::error_of(
                   [&] {
                     local_rank({{"SLURM_LOCALID", bad}});
                   },
                   ErrorKind::usage),
               Catch::Contains("SLURM_LOCALID='") && Catch::Contains("is not a local rank"));
}

TEST_CASE("a process started alone is a world of one", "[communicator]") {
  if (launched_ranks() > 1) return;  // under a launcher this executable is not the one to test
  Communicator& world = Communicator::world();
  CHECK(world.rank() == 0);
  CHECK(world.size() == 1);
  CHECK_FALSE(world.distributed());
  std::vector<float> x{1.5f, -2.0f};
  std::vector<double> y{0.25};
  world.sum(x.data(), x.size());
  world.sum(y.data(), y.size());
  world.broadcast(x.data(), sizeof(float) * x.size());
  world.begin_sum(x.data(), x.size());
  world.progress();
  world.finish_sums();
  world.barrier();
  CHECK(world.same_as_rank0(x.data(), sizeof(float) * x.size()));
  CHECK(x == std::vector<float>{1.5f, -2.0f});
  CHECK(y == std::vector<double>{0.25});
}
