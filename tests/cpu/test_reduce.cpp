// CPU reductions against a long-double reference, and their determinism across thread counts.
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/reduce.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;

namespace {

template <class Args>
double reduce_to_double(void (*op)(const Args&), const Tensor& x, DType out_dtype) {
  Tensor out(Shape::scalar(), out_dtype);
  op({x, out});
  return to_doubles(out)[0];
}

}  // namespace

TEST_CASE("sum and sum of squares match a long double reference", "[reduce]") {
  for (DType dtype : {DType::f16, DType::f32, DType::f64}) {
    const Tensor x = random_tensor({1, 17, 33, 61, 3}, dtype, 8, -1.0f, 3.0f);  // 102,663 values
    long double sum = 0, sum_sq = 0;
    for (double v : to_doubles(x)) {
      sum += v;
      sum_sq += static_cast<long double>(v) * v;
    }
    INFO("dtype " << dtype_name(dtype));
    CHECK(reduce_to_double(unet3d::sum, x, DType::f64) ==
          Approx(static_cast<double>(sum)).epsilon(1e-12));
    CHECK(reduce_to_double(sum_of_squares, x, DType::f64) ==
          Approx(static_cast<double>(sum_sq)).epsilon(1e-12));
    CHECK(reduce_to_double(unet3d::sum, x, DType::f32) ==
          static_cast<double>(static_cast<float>(reduce_to_double(unet3d::sum, x, DType::f64))));
  }
}

TEST_CASE("reductions give the same bits whatever the thread count", "[reduce]") {
  const Tensor x = random_tensor({2, 31, 37, 41, 5}, DType::f32, 21);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = reduce_to_double(unet3d::sum, x, DType::f64);
  omp_set_num_threads(std::max(2, threads));
  const double many = reduce_to_double(unet3d::sum, x, DType::f64);
  omp_set_num_threads(threads);
  CHECK(one == many);
}

TEST_CASE("reductions check their output", "[reduce]") {
  const Tensor x = random_tensor({1, 1, 1, 1, 10}, DType::f32, 1);
  Tensor two({1, 1, 1, 1, 2}, DType::f32);
  Tensor half_out(Shape::scalar(), DType::f16);
  CHECK_THROWS_WITH(unet3d::sum({x, two}), Catch::Contains("exactly one element"));
  CHECK_THROWS_WITH(sum_of_squares({x, half_out}), Catch::Contains("must be f32 or f64"));
}
