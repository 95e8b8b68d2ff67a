// The world of one process or of MPI's, and how a launcher says how many it started.
#include "runtime/communicator.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/communicator_mpi.h"
#include "runtime/error.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

// What each launcher sets to the number of processes it started, the first found winning.
constexpr const char* kLauncherVariables[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                              "SLURM_STEP_NUM_TASKS"};

}  // namespace

Communicator& Communicator::world() {
  static Communicator* world = [] {
    auto* w = new Communicator();  // never destroyed: MPI_Finalize runs at exit
    const int launched = launched_ranks();
    if constexpr (kBuiltWithMpi) {
      if (launched > 1) mpi::join(w->rank_, w->size_);
    } else if (launched > 1) {
      throw Error(ErrorKind::usage,
                  concat(launched,
                         " processes were started together (mpirun or srun), but this build has "
                         "no MPI: install Open MPI (apt-get install libopenmpi-dev openmpi-bin, "
                         "as tools/bootstrap.sh does) and build again"));
    }
    return w;
  }();
  return *world;
}

void Communicator::sum(float* data, std::size_t n) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::sum(data, n);
}

void Communicator::sum(double* data, std::size_t n) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::sum(data, n);
}

void Communicator::begin_sum(float* data, std::size_t n) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::begin_sum(data, n);
}

void Communicator::begin_sum(double* data, std::size_t n) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::begin_sum(data, n);
}

void Communicator::progress() {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::progress();
}

void Communicator::finish_sums() {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::finish_sums();
}

void Communicator::broadcast(void* data, std::size_t n, int root) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::broadcast(data, n, root);
}

void Communicator::abort(int code) {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::abort(code);
  std::_Exit(code);
}

bool Communicator::same_as_rank0(const void* data, std::size_t n) {
  if (!distributed()) return true;
  std::uint64_t rank0_n = n;
  broadcast(&rank0_n, sizeof rank0_n);
  double differing = rank0_n == n ? 0.0 : 1.0;
  sum(&differing, 1);
  if (differing > 0) return false;  // every rank knows, so none goes on to the bytes
  std::vector<unsigned char> rank0(static_cast<const unsigned char*>(data),
                                   static_cast<const unsigned char*>(data) + n);
  broadcast(rank0.data(), n);
  differing = std::memcmp(rank0.data(), data, n) != 0 ? 1.0 : 0.0;
  sum(&differing, 1);
  return differing == 0;
}

void Communicator::barrier() {
  if constexpr (kBuiltWithMpi)
    if (distributed()) mpi::barrier();
}

namespace {

// What each launcher sets to this process's index among those on its machine.
constexpr const char* kLocalRankVariables[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                               "SLURM_LOCALID"};

// The value of the first of `names` that `environment` holds, a whole number in [lowest, 2^20]
// (a usage Error naming the variable and `what` it should be otherwise); `none` when it holds
// none of them.
template <std::size_t N>
int first_number(const std::map<std::string, std::string>& environment,
                 const char* const (&names)[N], long lowest, const char* what, int none) {
  for (const char* name : names) {
    const auto at = environment.find(name);
    if (at == environment.end()) continue;
    char* end = nullptr;
    const long n = std::strtol(at->second.c_str(), &end, 10);
    if (at->second.empty() || *end != '\0' || n < lowest || n > 1 << 20)
      throw Error(ErrorKind::usage, concat(name, "='", at->second, "' is not ", what));
    return static_cast<int>(n);
  }
  return none;
}

template <std::size_t N>
std::map<std::string, std::string> variables(const char* const (&names)[N]) {
  std::map<std::string, std::string> environment;
  for (const char* name : names)
    if (const char* value = std::getenv(name); value != nullptr) environment[name] = value;
  return environment;
}

}  // namespace

int launched_ranks(const std::map<std::string, std::string>& environment) {
  return first_number(environment, kLauncherVariables, 1, "a number of processes", 1);
}

int launched_ranks() {
  return launched_ranks(variables(kLauncherVariables));
}

int local_rank(const std::map<std::string, std::string>& environment) {
  return first_number(environment, kLocalRankVariables, 0, "a local rank", 0);
}

int local_rank() {
  return local_rank(variables(kLocalRankVariables));
}

}  // namespace unet3d
