// CPU elementwise kernels against values written out by hand.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/elementwise.h"
#include "runtime/half.h"
#include "tests/support/gradcheck.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

template <class T>
Tensor tensor_of(const std::vector<double>& values) {
  Tensor t({1, 1, 1, 1, static_cast<std::int64_t>(values.size())}, DTypeOf<T>::value);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, Half>)
      t.data_as<Half>()[i] = to_half(static_cast<float>(values[i]));
    else
      t.data_as<T>()[i] = static_cast<T>(values[i]);
  }
  return t;
}

template <class T>
std::vector<double> values_of(const Tensor& t) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    if constexpr (std::is_same_v<T, Half>)
      v.push_back(to_float(t.data_as<Half>()[i]));
    else
      v.push_back(static_cast<double>(t.data_as<T>()[i]));
  }
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("arithmetic kernels compute what they promise", "[elementwise]", float, double,
                   Half) {
  const Tensor a = tensor_of<TestType>({-2.0, -0.5, 0.0, 0.25, 3.0});
  const Tensor b = tensor_of<TestType>({1.0, 0.5, -1.0, 0.75, -4.0});
  Tensor out = tensor_of<TestType>({0, 0, 0, 0, 0});

  add({a, b, out});
  CHECK(values_of<TestType>(out) == std::vector<double>{-1.0, 0.0, -1.0, 1.0, -1.0});
  affine({a, -2.0, 0.0, out});
  CHECK(values_of<TestType>(out) == std::vector<double>{4.0, 1.0, 0.0, -0.5, -6.0});
  relu_forward({a, out});
  CHECK(values_of<TestType>(out) == std::vector<double>{0.0, 0.0, 0.0, 0.25, 3.0});
  // The gradient passes only where the forward output is positive (not at y == 0).
  relu_backward({out, b, out});
  CHECK(values_of<TestType>(out) == std::vector<double>{0.0, 0.0, 0.0, 0.75, -4.0});
  fill({out, 0.125});
  CHECK(values_of<TestType>(out) == std::vector<double>(5, 0.125));
}

TEST_CASE("relu lets NaN through, as torch.relu does", "[elementwise]") {
  Tensor x = tensor_of<float>({std::numeric_limits<double>::quiet_NaN(), -1.0});
  Tensor y = tensor_of<float>({0, 0});
  relu_forward({x, y});
  CHECK(std::isnan(y.data_as<float>()[0]));
  CHECK(y.data_as<float>()[1] == 0.0f);
}

TEST_CASE("fill and copy handle u8 label maps", "[elementwise]") {
  Tensor labels({1, 2, 2, 2, 1}, DType::u8);
  fill({labels, 5});
  Tensor other({1, 2, 2, 2, 1}, DType::u8);
  copy({labels, other});
  for (std::int64_t i = 0; i < 8; ++i) CHECK(other.data_as<std::uint8_t>()[i] == 5);
}

TEST_CASE("cast f64 -> f32 rounds to nearest", "[elementwise][cast]") {
  Tensor x = tensor_of<double>({1.0 + 0x1.0p-30, -3.0, 1e40});
  Tensor y = tensor_of<float>({0, 0, 0});
  cast({x, y});
  CHECK(y.data_as<float>()[0] == 1.0f);
  CHECK(y.data_as<float>()[1] == -3.0f);
  CHECK(std::isinf(y.data_as<float>()[2]));
}

TEST_CASE("kernels refuse mismatched or unsupported tensors", "[elementwise]") {
  Tensor a({1, 1, 1, 1, 4}, DType::f32);
  Tensor b({1, 1, 1, 1, 5}, DType::f32);
  Tensor c({1, 1, 1, 1, 4}, DType::f64);
  Tensor u({1, 1, 1, 1, 4}, DType::u8);
  CHECK_THROWS_WITH(add({a, b, a}), Catch::Contains("add: shapes differ"));
  CHECK_THROWS_WITH(add({a, c, a}), Catch::Contains("add: dtypes differ"));
  CHECK_THROWS_WITH(relu_forward({u, u}), Catch::Contains("dtype u8 is not supported"));
  CHECK_THROWS_WITH(fill_uniform({a, 1, 1.0f, 0.0f}), Catch::Contains("empty range"));
}
