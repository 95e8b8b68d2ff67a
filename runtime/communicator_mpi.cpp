// MPI for runtime/communicator.h. Every call's failure is a runtime Error naming the call (MPI's
// default handler would abort first; errors return once MPI_ERRORS_RETURN is set on the world).
#include "runtime/communicator_mpi.h"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "runtime/error.h"

namespace unet3d::mpi {
namespace {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(ErrorKind::runtime, concat(call, " failed: ", std::string(text, length)));
}

int count(std::size_t n) {
  UNET3D_USAGE_CHECK(n <= static_cast<std::size_t>(INT_MAX), "MPI: ", n,
                     " elements in one call (at most INT_MAX)");
  return static_cast<int>(n);
}

// MPI_Reduce to rank 0, then MPI_Bcast: the same bits on every rank, which MPI_Allreduce does
// not promise.
void reduce_and_share(void* data, std::size_t n, MPI_Datatype type, std::size_t element) {
  int rank = 0;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  std::vector<unsigned char> total(rank == 0 ? n * element : 0);
  check(MPI_Reduce(data, total.data(), count(n), type, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
  if (rank == 0) std::copy(total.begin(), total.end(), static_cast<unsigned char*>(data));
  check(MPI_Bcast(data, count(n), type, 0, MPI_COMM_WORLD), "MPI_Bcast");
}

// The sums begun and not yet finished, in the order they were begun.
struct PendingSum {
  void* data;
  int n;
  MPI_Datatype type;
  MPI_Request request;
};
std::vector<PendingSum>& pending() {
  static std::vector<PendingSum> sums;
  return sums;
}

void begin(void* data, std::size_t n, MPI_Datatype type) {
  int rank = 0;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  PendingSum sum{data, count(n), type, MPI_REQUEST_NULL};
  // Rank 0 sums into its own data (MPI_IN_PLACE); the others only send theirs.
  check(MPI_Ireduce(rank == 0 ? MPI_IN_PLACE : data, data, sum.n, type, MPI_SUM, 0, MPI_COMM_WORLD,
                    &sum.request),
        "MPI_Ireduce");
  pending().push_back(sum);
}

}  // namespace

void begin_sum(float* data, std::size_t n) {
  begin(data, n, MPI_FLOAT);
}

void begin_sum(double* data, std::size_t n) {
  begin(data, n, MPI_DOUBLE);
}

void progress() {
  for (PendingSum& sum : pending()) {
    int done = 0;
    check(MPI_Test(&sum.request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  }
}

void finish_sums() {
  std::vector<MPI_Request> broadcasts;
  for (PendingSum& sum : pending()) {
    check(MPI_Wait(&sum.request, MPI_STATUS_IGNORE), "MPI_Wait");
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Ibcast(sum.data, sum.n, sum.type, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast");
    broadcasts.push_back(request);
  }
  pending().clear();
  check(MPI_Waitall(static_cast<int>(broadcasts.size()), broadcasts.data(), MPI_STATUSES_IGNORE),
        "MPI_Waitall");
}

void join(int& rank, int& size) {
  int initialised = 0;
  check(MPI_Initialized(&initialised), "MPI_Initialized");
  if (!initialised) {
    check(MPI_Init(nullptr, nullptr), "MPI_Init");
    check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    std::atexit([] {
      int finalised = 0;
      MPI_Finalized(&finalised);
      if (!finalised) MPI_Finalize();
    });
  }
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
}

void sum(float* data, std::size_t n) {
  reduce_and_share(data, n, MPI_FLOAT, sizeof(float));
}

void sum(double* data, std::size_t n) {
  reduce_and_share(data, n, MPI_DOUBLE, sizeof(double));
}

void broadcast(void* data, std::size_t n, int root) {
  check(MPI_Bcast(data, count(n), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

void barrier() {
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should it, the process still ends
}

}  // namespace unet3d::mpi
