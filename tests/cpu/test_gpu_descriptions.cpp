// What the CUDA path hands to cuDNN and cuBLAS, checked without a card: the descriptor arrays of
// a channels-last 3-D convolution (plain and channel-padded, cubic and flat kernels), cuBLAS's
// column-major description of a row-major GEMM run through a column-major reference GEMM, and
// the transposed convolution's GEMMs and block-move index map.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/depth_space_impl.h"
#include "kernels/gemm_layout.h"
#include "layers/conv_descriptors.h"
#include "layers/conv_transpose3d.h"
#include "runtime/error.h"

using namespace unet3d;

TEST_CASE("a channels-last 3-D convolution's cuDNN descriptor arrays", "[cudnn_descriptors]") {
  // x [N 2, D 5, H 6, W 7, C 3], weights [13 out, 3, 3, 3, 3 in], f32 as it is.
  const Shape x{2, 5, 6, 7, 3}, w{13, 3, 3, 3, 3};
  const CudnnConvDescriptors d = conv_descriptors(x, w, planned_channels(w, DType::f32, false));
  CHECK(d.x.dims == std::array<int, 5>{2, 3, 5, 6, 7});  // N, C, D, H, W
  CHECK(d.x.strides == std::array<int, 5>{5 * 6 * 7 * 3, 1, 6 * 7 * 3, 7 * 3, 3});
  CHECK(d.y.dims == std::array<int, 5>{2, 13, 5, 6, 7});
  CHECK(d.y.strides == std::array<int, 5>{5 * 6 * 7 * 13, 1, 6 * 7 * 13, 7 * 13, 13});
  CHECK(d.w == std::array<int, 5>{13, 3, 3, 3, 3});  // K, C, D, H, W (format NHWC)
  CHECK(d.conv.pads == std::array<int, 3>{1, 1, 1});
  CHECK(d.conv.strides == std::array<int, 3>{1, 1, 1});
  CHECK(d.conv.dilations == std::array<int, 3>{1, 1, 1});
}

TEST_CASE("channel-padded descriptors: f16 counts rounded to 8, f32 after a refusal",
          "[cudnn_descriptors]") {
  const Shape x{1, 4, 4, 4, 3}, w{13, 3, 3, 3, 3};
  for (const auto& [dtype, refused] : {std::pair{DType::f16, false}, std::pair{DType::f32, true}}) {
    const CudnnConvDescriptors d = conv_descriptors(x, w, planned_channels(w, dtype, refused));
    CHECK(d.x.dims == std::array<int, 5>{1, 8, 4, 4, 4});
    CHECK(d.x.strides == std::array<int, 5>{4 * 4 * 4 * 8, 1, 4 * 4 * 8, 4 * 8, 8});
    CHECK(d.y.dims == std::array<int, 5>{1, 16, 4, 4, 4});
    CHECK(d.y.strides == std::array<int, 5>{4 * 4 * 4 * 16, 1, 4 * 4 * 16, 4 * 16, 16});
    CHECK(d.w == std::array<int, 5>{16, 8, 3, 3, 3});
  }
}

TEST_CASE("pads follow each axis's kernel size", "[cudnn_descriptors]") {
  // Weights [out, kD, kH, kW, in]: 1x3x3 (flat along z) and 3x1x1, and the 1x1x1 head.
  CHECK(same_size_convolution({8, 1, 3, 3, 4}).pads == std::array<int, 3>{0, 1, 1});
  CHECK(same_size_convolution({8, 3, 1, 1, 4}).pads == std::array<int, 3>{1, 0, 0});
  CHECK(same_size_convolution({6, 1, 1, 1, 8}).pads == std::array<int, 3>{0, 0, 0});
  CHECK_THROWS_AS(same_size_convolution({8, 2, 3, 3, 4}), Error);
}

namespace {

// Column-major C (m x n, leading dimension ldc) := op(A) op(B), as the BLAS reference defines it.
void column_major_reference(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                            const double* a, std::int64_t lda, const double* b, std::int64_t ldb,
                            double* c, std::int64_t ldc) {
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < m; ++i) {
      double sum = 0;
      for (std::int64_t l = 0; l < k; ++l)
        sum += (ta ? a[l + i * lda] : a[i + l * lda]) * (tb ? b[j + l * ldb] : b[l + j * ldb]);
      c[i + j * ldc] = sum;
    }
}

}  // namespace

TEST_CASE("cuBLAS's column-major description of a row-major GEMM computes the row-major product",
          "[gemm_layout]") {
  const std::int64_t m = 5, n = 3, k = 4;
  for (const bool at : {false, true})
    for (const bool bt : {false, true}) {
      INFO("A " << (at ? "transposed" : "as stored") << ", B "
                << (bt ? "transposed" : "as stored"));
      // Row-major storage: A is m x k (k x m when stored transposed), B is k x n (n x k).
      std::vector<double> a(static_cast<std::size_t>(m * k)), b(static_cast<std::size_t>(k * n));
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.5 + static_cast<double>(i * i % 7);
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = -1.0 + static_cast<double>(i * 3 % 5);
      const auto op_a = [&](std::int64_t i, std::int64_t l) {
        return at ? a[static_cast<std::size_t>(l * m + i)] : a[static_cast<std::size_t>(i * k + l)];
      };
      const auto op_b = [&](std::int64_t l, std::int64_t j) {
        return bt ? b[static_cast<std::size_t>(j * k + l)] : b[static_cast<std::size_t>(l * n + j)];
      };
      const ColumnMajorGemm g = column_major_gemm(m, n, k, at, bt);
      CHECK(g.m == n);
      CHECK(g.n == m);
      std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
      column_major_reference(g.transpose_first, g.transpose_second, g.m, g.n, g.k, b.data(),
                             g.ld_first, a.data(), g.ld_second, c.data(), g.ldc);
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
          double expected = 0;
          for (std::int64_t l = 0; l < k; ++l) expected += op_a(i, l) * op_b(l, j);
          CHECK(c[static_cast<std::size_t>(i * n + j)] == expected);  // row-major C
        }
    }
}

TEST_CASE("the transposed convolution's three GEMMs", "[gemm_layout]") {
  // 10 input voxels, 4 input and 3 output channels, 2x2x2 blocks.
  const TransposeGemm forward =
      transpose_gemm(ConvDirection::forward, 10, 4, 3, 8, DType::f16, DType::f32);
  CHECK(forward.problem.m == 10);  // t [10, 24] := x [10, 4] w [4, 24]
  CHECK(forward.problem.n == 24);
  CHECK(forward.problem.k == 4);
  CHECK((!forward.a_transposed && !forward.b_transposed && forward.beta == 0.0));
  CHECK((forward.problem.ab == DType::f16 && forward.problem.c == DType::f16));
  const TransposeGemm data =
      transpose_gemm(ConvDirection::backward_data, 10, 4, 3, 8, DType::f16, DType::f32);
  CHECK(data.problem.m == 10);  // dx [10, 4] := t [10, 24] w^T [24, 4]
  CHECK(data.problem.n == 4);
  CHECK(data.problem.k == 24);
  CHECK((!data.a_transposed && data.b_transposed && data.beta == 0.0));
  const TransposeGemm filter =
      transpose_gemm(ConvDirection::backward_filter, 10, 4, 3, 8, DType::f16, DType::f32);
  CHECK(filter.problem.m == 4);  // dw [4, 24] += x^T [4, 10] t [10, 24], into f32
  CHECK(filter.problem.n == 24);
  CHECK(filter.problem.k == 10);
  CHECK((filter.a_transposed && !filter.b_transposed && filter.beta == 1.0));
  CHECK((filter.problem.ab == DType::f16 && filter.problem.c == DType::f32));
}

TEST_CASE(
    "the block move's index map puts position (a bh + b) bw + c of each coarse voxel's "
    "block at (bd d + a, bh h + b, bw w + c)",
    "[gemm_layout]") {
  const Shape space{2, 4, 6, 8, 5};  // [N, 2D, 2H, 2W, O]
  const depth_space_impl::Block cube{2, 2, 2};
  const IndexMap runs(depth_space_impl::run_shape(space, cube));
  CHECK(runs.shape == Shape{2, 2, 3, 4, 8});
  // Run r = coarse voxel r / 8, position r % 8; coarse voxel (n 1, d 1, h 2, w 3), position
  // 5 = (1, 0, 1).
  const std::int64_t voxel = ((1 * 2 + 1) * 3 + 2) * 4 + 3;
  const std::int64_t r = voxel * 8 + 5;
  CHECK(depth_space_impl::spatial_run_start(r, runs, space, cube) ==
        flat_index(space, 1, 3, 4, 7, 0));
  // Blocks flat along d (1x2x2, an anisotropic level's pooling): position 3 = (0, 1, 1) of coarse
  // voxel (n 0, d 2, h 1, w 0) of [N, D, H/2, W/2].
  const depth_space_impl::Block flat{1, 2, 2};
  const IndexMap flat_runs(depth_space_impl::run_shape(space, flat));
  CHECK(flat_runs.shape == Shape{2, 4, 3, 4, 4});
  const std::int64_t flat_voxel = (2 * 3 + 1) * 4 + 0;
  CHECK(depth_space_impl::spatial_run_start(flat_voxel * 4 + 3, flat_runs, space, flat) ==
        flat_index(space, 0, 2, 3, 1, 0));
  for (const depth_space_impl::Block block : {cube, flat, depth_space_impl::Block{2, 1, 2}}) {
    const IndexMap all(depth_space_impl::run_shape(space, block));
    std::vector<int> hits(static_cast<std::size_t>(space.numel() / space.c), 0);
    for (std::int64_t run = 0; run < all.shape.numel(); ++run)
      ++hits[static_cast<std::size_t>(depth_space_impl::spatial_run_start(run, all, space, block) /
                                      space.c)];
    for (const int h : hits) CHECK(h == 1);  // every fine voxel exactly once
  }
}
