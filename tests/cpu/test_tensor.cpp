// Tensor: shapes with 64-bit counts, ownership, explicit copies, dtype and device checks.
#include <catch2/catch.hpp>
#include <cstdint>

#include "runtime/tensor.h"

using namespace unet3d;

TEST_CASE("shape counts elements in 64 bits", "[tensor]") {
  const Shape big{32, 128, 128, 128, 64};
  CHECK(big.numel() == std::int64_t{1} << 32);
  CHECK(Shape{1, 2, 3, 4, 5}.str() == "[n=1 d=2 h=3 w=4 c=5]");
}

TEST_CASE("tensor owns its memory and moves it", "[tensor]") {
  Tensor a({1, 2, 3, 4, 5}, DType::f32);
  CHECK(a.numel() == 120);
  CHECK(a.bytes() == 480);
  float* p = a.data_as<float>();
  for (int i = 0; i < 120; ++i) p[i] = static_cast<float>(i);

  Tensor b = std::move(a);
  CHECK(b.data_as<float>() == p);
  CHECK(b.data_as<float>()[119] == 119.0f);
  CHECK(a.data() == nullptr);  // NOLINT: a moved-from tensor is left empty
  CHECK(a.numel() == 0);
}

TEST_CASE("copies between tensors are explicit and deep", "[tensor]") {
  Tensor a({1, 1, 1, 2, 3}, DType::f64);
  for (int i = 0; i < 6; ++i) a.data_as<double>()[i] = 0.5 * i;
  Tensor b = a.to(Device::cpu);
  CHECK(b.data() != a.data());
  a.data_as<double>()[5] = -1;
  CHECK(b.data_as<double>()[5] == 2.5);

  Tensor c({1, 1, 1, 2, 3}, DType::f64);
  c.copy_from(b);
  CHECK(c.data_as<double>()[4] == 2.0);
}

TEST_CASE("tensor misuse is a usage error naming the tensors", "[tensor]") {
  Tensor a({1, 1, 1, 2, 3}, DType::f32);
  Tensor b({1, 1, 1, 3, 2}, DType::f32);
  try {
    b.copy_from(a);
    FAIL("copy_from accepted a different shape");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_THAT(e.what(), Catch::Contains("[n=1 d=1 h=1 w=2 c=3]") &&
                             Catch::Contains("[n=1 d=1 h=1 w=3 c=2]"));
  }
  CHECK_THROWS_WITH(a.data_as<double>(), Catch::Contains("read as f64"));
  CHECK_THROWS_AS(Tensor(Shape{1, -1, 1, 1, 1}, DType::f32), Error);
}

TEST_CASE("GPU tensors are refused, with the reason, where there is no GPU", "[tensor]") {
  if (gpu_available()) return;  // the GPU suite covers GPU tensors
  try {
    Tensor t({1, 1, 1, 1, 4}, DType::f32, Device::cuda);
    FAIL("a GPU tensor was created without a GPU");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_THAT(e.what(), Catch::Contains(gpu_unavailable_reason()));
  }
}
