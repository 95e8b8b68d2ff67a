// NCCL between the GPUs of data-parallel ranks, as the CPU side of the code sees it: plain C++
// declarations, defined in runtime/nccl_group.cpp in builds with CUDA and NCCL
// (kBuiltWithNccl). Other code calls them only under `if constexpr (kBuiltWithNccl)`. A group
// is bootstrapped from an id that rank 0 makes and hands to the others by any means (MPI's
// broadcast in training; nothing at all for a group of one).
#pragma once

#include <cstddef>

#include "runtime/dtype.h"

namespace unet3d::nccl {

inline constexpr std::size_t kIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
struct UniqueId {
  char bytes[kIdBytes];
};

// ncclGetUniqueId: made once, by rank 0.
UniqueId new_id();
// ncclCommInitRank on the current GPU: this process as `rank` of `size`. An opaque ncclComm_t.
void* join(const UniqueId& id, int rank, int size);
// ncclCommDestroy.
void leave(void* group) noexcept;
// data[0, n) (f32 or f64, on the GPU) := its sum over the group's ranks, on the CUDA context's
// stream: ncclReduce to rank 0, then ncclBroadcast, so that every rank holds the same bits.
void sum(void* group, void* data, std::size_t n, DType dtype);
// "NCCL 2.28.3", from ncclGetVersion.
const char* version();

}  // namespace unet3d::nccl
