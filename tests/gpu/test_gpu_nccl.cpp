// NCCL on the GPU with one rank, bootstrapped without MPI (built only where the build has
// NCCL): the group's sum over itself is the data bit for bit, in f32 and f64, on the context's
// stream, and a dtype NCCL sums are not asked for is refused.
#include <catch2/catch.hpp>
#include <cstring>

#include "runtime/nccl_group.h"
#include "verify/parity.h"

using namespace unet3d;

TEST_CASE("an NCCL group of one rank sums its data to itself, bit for bit", "[nccl]") {
  INFO(nccl::version());
  void* group = nccl::join(nccl::new_id(), 0, 1);
  for (const DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    const Tensor host = random_tensor({1, 3, 5, 7, 11}, dtype, 3);
    Tensor on_gpu = host.to(Device::cuda);
    nccl::sum(group, on_gpu.data(), static_cast<std::size_t>(on_gpu.numel()), dtype);
    const Tensor back = on_gpu.to(Device::cpu);
    CHECK(std::memcmp(back.data(), host.data(), host.bytes()) == 0);
  }
  CHECK_THROWS_WITH(nccl::sum(group, nullptr, 4, DType::f16), Catch::Contains("f32 or f64"));
  nccl::leave(group);
}
