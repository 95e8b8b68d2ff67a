// NCCL for runtime/nccl_group.h. Every call's failure is a runtime Error naming the call and
// NCCL's reason.
#include "runtime/nccl_group.h"

#include <nccl.h>

#include <cstring>
#include <string>

#include "runtime/cuda_context.h"
#include "runtime/error.h"

namespace unet3d::nccl {
namespace {

static_assert(kIdBytes == NCCL_UNIQUE_ID_BYTES, "nccl_group.h's id size is NCCL's");

void check(ncclResult_t code, const char* call) {
  if (code == ncclSuccess) return;
  throw Error(ErrorKind::runtime, concat(call, " failed: ", ncclGetErrorString(code)));
}

ncclDataType_t nccl_type(DType dtype) {
  UNET3D_USAGE_CHECK(dtype == DType::f32 || dtype == DType::f64, "NCCL sum: ", dtype_name(dtype),
                     " (f32 or f64 only)");
  return dtype == DType::f64 ? ncclFloat64 : ncclFloat32;
}

}  // namespace

UniqueId new_id() {
  ncclUniqueId id;
  check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  UniqueId out;
  std::memcpy(out.bytes, id.internal, kIdBytes);
  return out;
}

void* join(const UniqueId& id, int rank, int size) {
  ncclUniqueId nccl_id;
  std::memcpy(nccl_id.internal, id.bytes, kIdBytes);
  ncclComm_t comm = nullptr;
  check(ncclCommInitRank(&comm, size, nccl_id, rank), "ncclCommInitRank");
  return comm;
}

void leave(void* group) noexcept {
  if (group != nullptr) ncclCommDestroy(static_cast<ncclComm_t>(group));
}

void sum(void* group, void* data, std::size_t n, DType dtype) {
  auto comm = static_cast<ncclComm_t>(group);
  const cudaStream_t stream = gpu::stream();
  check(ncclReduce(data, data, n, nccl_type(dtype), ncclSum, 0, comm, stream), "ncclReduce");
  check(ncclBroadcast(data, data, n, nccl_type(dtype), 0, comm, stream), "ncclBroadcast");
}

const char* version() {
  static const std::string text = [] {
    int v = 0;
    ncclGetVersion(&v);
    return concat("NCCL ", v / 10000, ".", v / 100 % 100, ".", v % 100);
  }();
  return text.c_str();
}

}  // namespace unet3d::nccl
