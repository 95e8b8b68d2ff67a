// The MPI calls behind runtime/communicator.h, defined only in builds with MPI
// (communicator_mpi.cpp); other code reaches them through `if constexpr (kBuiltWithMpi)`.
#pragma once

#include <cstddef>

namespace unet3d::mpi {

// MPI_Init (once; MPI_Finalize registered for exit), then this process's rank and the size.
void join(int& rank, int& size);
void sum(float* data, std::size_t n);
void sum(double* data, std::size_t n);
void begin_sum(float* data, std::size_t n);
void begin_sum(double* data, std::size_t n);
void progress();
void finish_sums();
void broadcast(void* data, std::size_t n, int root);
void barrier();
[[noreturn]] void abort(int code);

}  // namespace unet3d::mpi
