// The processes of one training job and what they do together. Started by a launcher (mpirun,
// or srun) among several, a process joins MPI's world; started alone, it is a world of one and
// MPI is never initialised, so a single process needs no launcher. A build without MPI refuses
// to run among several, saying how to get it.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace unet3d {

class Communicator {
 public:
  // This process's world, joined on the first call (and left at exit).
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }

  // data[0, n) := its element-wise sum over the ranks, reduced at rank 0 and then broadcast, so
  // that every rank holds the same bits.
  void sum(float* data, std::size_t n);
  void sum(double* data, std::size_t n);
  // The same sum begun now and left to run (MPI_Ireduce to rank 0): data must stay untouched
  // until finish_sums(), which completes every sum begun, in order (then MPI_Ibcast), so that
  // every rank again holds the same bits. progress() lets MPI move the begun sums on.
  void begin_sum(float* data, std::size_t n);
  void begin_sum(double* data, std::size_t n);
  void progress();
  void finish_sums();
  // bytes [0, n) of rank `root` onto every rank.
  void broadcast(void* data, std::size_t n, int root = 0);
  void barrier();
  // True on every rank when every rank's bytes [0, n) are rank 0's (a collective; n may differ
  // between the ranks, which makes them differ).
  bool same_as_rank0(const void* data, std::size_t n);
  // Ends every rank of the job with `code` (MPI_Abort), so that none is left waiting in a
  // collective for this one; alone, exits with `code`.
  [[noreturn]] void abort(int code);

 private:
  Communicator() = default;
  int rank_ = 0, size_ = 1;
};

// The number of processes a launcher started this one among, from the launcher's environment
// (Open MPI's OMPI_COMM_WORLD_SIZE, PMI's PMI_SIZE, Slurm srun's SLURM_STEP_NUM_TASKS); 1 when
// none did. A value that is not a positive integer is a usage Error naming the variable.
int launched_ranks(const std::map<std::string, std::string>& environment);
// The same from this process's environment.
int launched_ranks();
// This process's index among those a launcher started on the same machine (Open MPI's
// OMPI_COMM_WORLD_LOCAL_RANK, MPICH's MPI_LOCALRANKID, Slurm's SLURM_LOCALID): what chooses its
// GPU. 0 when none says; a value that is not a whole number is a usage Error naming the
// variable.
int local_rank(const std::map<std::string, std::string>& environment);
int local_rank();

}  // namespace unet3d
