// Conv3d and ConvTranspose3d on the CPU, the U-Net's kernels and blocks and anisotropic levels'
// (each axis 1 or 3, blocks 1 or 2): forward and gradients against direct loops from the
// definition, gradients by central differences.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/conv3d_cpu.h"
#include "kernels/elementwise.h"
#include "layers/conv3d.h"
#include "layers/conv3d_padded.h"
#include "layers/conv_transpose3d.h"
#include "tests/support/conv_reference.h"
#include "tests/support/error_of.h"
#include "tests/support/gradcheck.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("conv3d forward matches the definition", "[conv]") {
  for (const int k : {1, 3}) {
    for (const DType dtype : {DType::f32, DType::f64}) {
      INFO("k " << k << " " << dtype_name(dtype));
      const Shape s{2, 3, 5, 4, 3};
      const Tensor x = random_tensor(s, dtype, 160);
      const Tensor w = random_tensor({5, k, k, k, 3}, dtype, 161);
      const Tensor b = random_tensor(Shape::vector(5), dtype, 162);
      Tensor y(s.with_channels(5), dtype);
      conv3d_forward(x, w, &b, y);
      const Check check = dtype == DType::f64 ? Check::gradient_f64 : Check::parity_f32;
      CHECK(compare(to_doubles(y), direct_conv(x, w, &b), tolerance(check)).ok);
    }
  }
}

// The CPU's weight gradient works in blocks of 8 or 16 output channels and 4 input channels (8
// as pairs where AVX-512 pairs them: 8 or more input channels, output channels not a multiple of
// 16); these shapes reach every block and every remainder of one.
TEST_CASE("conv3d 3x3x3 matches the definition at every blocking remainder", "[conv]") {
  struct Sizes {
    Shape x;
    std::int64_t cout;
  };
  for (const Sizes& z :
       {Sizes{{1, 3, 4, 11, 8}, 16}, Sizes{{2, 2, 3, 10, 5}, 20}, Sizes{{1, 3, 2, 9, 1}, 8},
        Sizes{{1, 2, 3, 17, 6}, 32}, Sizes{{1, 2, 3, 7, 12}, 8}, Sizes{{2, 2, 2, 5, 8}, 24}}) {
    for (const DType dtype : {DType::f32, DType::f64}) {
      INFO(z.x.str() << " -> " << z.cout << " " << dtype_name(dtype));
      const Tensor x = random_tensor(z.x, dtype, 180);
      const Tensor w = random_tensor({z.cout, 3, 3, 3, z.x.c}, dtype, 181);
      const Tensor dy = random_tensor(z.x.with_channels(z.cout), dtype, 182);
      Tensor y(dy.shape(), dtype), dx(z.x, dtype), dw(w.shape(), dtype);
      fill({dw, 0.5});  // accumulated into
      conv3d_forward(x, w, nullptr, y);
      conv3d_backward_data(dy, w, dx);
      conv3d_backward_weights(x, dy, dw, nullptr);
      std::vector<double> want_dx, want_dw;
      direct_conv_gradients(x, w, dy, want_dx, want_dw);
      for (double& v : want_dw) v += 0.5;
      const Tolerance tol =
          tolerance(dtype == DType::f64 ? Check::gradient_f64 : Check::reduction_f32);
      CHECK(compare(to_doubles(y), direct_conv(x, w, nullptr), tol).ok);
      CHECK(compare(to_doubles(dx), want_dx, tol).ok);
      CHECK(compare(to_doubles(dw), want_dw, tol).ok);
    }
  }
}

// Every register tile the CPU kernel has computes the definition, whichever one this CPU's
// instruction set picks, on planes whose rows and lengths leave every remainder of a tile.
TEST_CASE("conv3d 3x3x3 matches the definition with every register tile", "[conv]") {
  for (const cpu::ConvTile& tile : every_conv_tile())
    for (const DType dtype : {DType::f32, DType::f64}) {
      if (tile.paired && dtype == DType::f64) continue;  // pairs of f32 only
      INFO(tile.block << " x " << tile.voxels << (tile.paired ? " paired " : " ")
                      << dtype_name(dtype));
      const Shape s{2, 3, 5, 7, 6};
      const Tensor x = random_tensor(s, dtype, 190);
      const Tensor w = random_tensor({20, 3, 3, 3, s.c}, dtype, 191);
      Tensor y(s.with_channels(20), dtype);
      cpu::conv3d_forward_tiled(x, w, y, tile);
      const Check check = dtype == DType::f64 ? Check::gradient_f64 : Check::parity_f32;
      CHECK(compare(to_doubles(y), direct_conv(x, w, nullptr), tolerance(check)).ok);
    }
  // Pairs need an even number of input channels.
  const Tensor odd = random_tensor({1, 2, 2, 2, 3}, DType::f32, 192);
  const Tensor w = random_tensor({8, 3, 3, 3, 3}, DType::f32, 193);
  Tensor y(odd.shape().with_channels(8), DType::f32);
  const auto paired_odd = [&] { cpu::conv3d_forward_tiled(odd, w, y, {8, 12, true}); };
  CHECK(error_of(paired_odd, ErrorKind::usage).find("3 input channels") != std::string::npos);
}

// The tile fits the registers: AVX-512 holds 12 voxels of up to 32 f32 channels (8 as pairs of
// input channels), AVX2 12 of 8 or 6 of 16; blocks never pad channels that a narrower block fits.
TEST_CASE("conv3d's CPU tile follows the vector registers", "[conv]") {
  struct Case {
    std::int64_t cout, cin;
    int vector_bytes, value_bytes;
    cpu::ConvTile want;
  };
  for (const Case& c : {Case{8, 8, 64, 4, {8, 12, true}}, Case{8, 1, 64, 4, {8, 12, false}},
                        Case{16, 8, 64, 4, {16, 12, false}}, Case{64, 8, 64, 4, {32, 12, false}},
                        Case{20, 6, 64, 4, {8, 12, true}}, Case{48, 8, 64, 4, {16, 12, false}},
                        Case{16, 8, 32, 4, {16, 6, false}}, Case{32, 8, 32, 4, {16, 6, false}},
                        Case{8, 8, 32, 4, {8, 12, false}}, Case{32, 8, 16, 4, {8, 6, false}},
                        Case{32, 8, 64, 8, {16, 12, false}}, Case{8, 8, 64, 8, {8, 12, false}},
                        Case{32, 8, 32, 8, {8, 6, false}}}) {
    INFO(c.cin << " -> " << c.cout << " channels, " << c.vector_bytes << "-byte vectors of "
               << c.value_bytes << "-byte values");
    const cpu::ConvTile tile = cpu::conv_tile(c.cout, c.cin, c.vector_bytes, c.value_bytes);
    CHECK(tile.block == c.want.block);
    CHECK(tile.voxels == c.want.voxels);
    CHECK(tile.paired == c.want.paired);
  }
  const int bytes = cpu::conv_vector_bytes();
  CHECK((bytes == 16 || bytes == 32 || bytes == 64));
}

// The U-Net's 3x3x3 and 1x1x1 kernels, and an anisotropic level's 1x3x3 and 3x1x1.
TEST_CASE("conv3d gradients match central differences", "[conv][gradcheck]") {
  for (const Grid k : {Grid::cube(3), Grid::cube(1), Grid{1, 3, 3}, Grid{3, 1, 1}}) {
    for (const Shape s : {Shape{2, 3, 5, 4, 3}, Shape{1, 5, 3, 3, 5}}) {
      const std::string name =
          (k.is_cube() ? concat("conv3d k", k.d) : "conv3d " + k.str()) + " " + s.str();
      const std::int64_t cout = 7;
      Tensor x = random_tensor(s, DType::f64, 170);
      Tensor w = random_tensor({cout, k.d, k.h, k.w, s.c}, DType::f64, 171);
      Tensor b = random_tensor(Shape::vector(cout), DType::f64, 172);
      const Tensor weights = random_tensor(s.with_channels(cout), DType::f64, 173, -1.0f, 1.3f);
      Tensor y(s.with_channels(cout), DType::f64), dx(s, DType::f64), dw(w.shape(), DType::f64),
          db(Shape::vector(cout), DType::f64);
      fill({dw, 0.0});
      fill({db, 0.0});
      conv3d_backward_data(weights, w, dx);
      conv3d_backward_weights(x, weights, dw, &db);
      const auto loss = [&] {
        conv3d_forward(x, w, &b, y);
        return dot(y, weights);
      };
      CHECK(gradient_check(name + " dx", x, dx, loss).ok);
      CHECK(gradient_check(name + " dw", w, dw, loss).ok);
      CHECK(gradient_check(name + " db", b, db, loss).ok);
    }
  }
}

// What the GPU does where cuDNN wants channel counts in multiples of 8: pad with zeros, run,
// crop. On the CPU the padded convolution must equal the unpadded one in every direction.
TEST_CASE("conv3d on zero-padded channels equals the unpadded convolution", "[conv]") {
  const ConvCall forward = [](const Tensor& x, const Tensor& w, Tensor& y) {
    cpu::conv3d_forward(x, w, y);
  };
  const ConvCall backward_data = [](const Tensor& dy, const Tensor& w, Tensor& dx) {
    cpu::conv3d_backward_data(dy, w, dx);
  };
  const ConvCall backward_weights = [](const Tensor& x, const Tensor& dy, Tensor& dw) {
    cpu::conv3d_backward_weights(x, dy, dw);
  };
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const int k : {3, 1}) {
      // The tests' 3 -> 13 channels (both padded), and the first layer's 1 -> 16 (input only).
      for (const auto& [cin, cout] : {std::pair{3, 13}, std::pair{1, 16}}) {
        INFO(dtype_name(dtype) << " k " << k << " " << cin << " -> " << cout);
        const Shape xs{2, 5, 6, 7, cin}, ws{cout, k, k, k, cin}, ys = xs.with_channels(cout);
        const ConvChannels channels = planned_channels(ws, DType::f16, false);
        PaddedConv3d padded(xs, ws, dtype, Device::cpu, channels);
        REQUIRE(padded.pads());
        const Tensor x = random_tensor(xs, dtype, 180), w = random_tensor(ws, dtype, 181),
                     dy = random_tensor(ys, dtype, 182);
        const DType acc = accumulator_dtype(dtype);
        Tensor y(ys, dtype), y_ref(ys, dtype), dx(xs, dtype), dx_ref(xs, dtype);
        Tensor dw = random_tensor(ws, acc, 183), dw_ref = random_tensor(ws, acc, 183);
        padded.forward(x, w, y, forward);
        padded.backward_data(dy, w, dx, backward_data);
        padded.backward_weights(x, dy, dw, backward_weights);  // accumulated into
        cpu::conv3d_forward(x, w, y_ref);
        cpu::conv3d_backward_data(dy, w, dx_ref);
        cpu::conv3d_backward_weights(x, dy, dw_ref);
        const Tolerance tol =
            tolerance(dtype == DType::f64 ? Check::gradient_f64 : Check::reduction_f32);
        for (const auto& [out, ref] :
             {std::pair{&y, &y_ref}, std::pair{&dx, &dx_ref}, std::pair{&dw, &dw_ref}}) {
          const Comparison c = compare(*out, *ref, tol);
          INFO(c.describe());
          CHECK(c.ok);
        }
      }
    }
  }
}

// The U-Net's 2x2x2 block, and anisotropic levels' blocks flat along one or two axes.
const Grid kBlocks[] = {Grid::cube(2), Grid{1, 2, 2}, Grid{2, 2, 1}, Grid{2, 1, 1}};

TEST_CASE("conv_transpose3d forward matches the definition", "[conv]") {
  for (const Grid block : kBlocks)
    for (const DType dtype : {DType::f32, DType::f64}) {
      INFO("block " << block.str() << " " << dtype_name(dtype));
      const Shape s{2, 2, 3, 2, 5};
      const Tensor x = random_tensor(s, dtype, 180);
      const Tensor w = random_tensor({5, block.d, block.h, block.w, 3}, dtype, 181);
      const Tensor b = random_tensor(Shape::vector(3), dtype, 182);
      Tensor y({2, block.d * 2, block.h * 3, block.w * 2, 3}, dtype);
      conv_transpose3d_forward(x, w, b, y);
      const Check check = dtype == DType::f64 ? Check::gradient_f64 : Check::parity_f32;
      CHECK(compare(to_doubles(y), direct_transpose(x, w, b), tolerance(check)).ok);
    }
}

TEST_CASE("conv_transpose3d gradients match central differences", "[conv][gradcheck]") {
  for (const Grid block : kBlocks)
    for (const Shape s : {Shape{2, 3, 2, 3, 5}, Shape{1, 1, 3, 2, 3}}) {
      const std::string name =
          concat("conv_transpose3d ", block.is_cube() ? "" : block.str() + " ", s.str());
      const std::int64_t cout = 3;
      const Shape out{s.n, block.d * s.d, block.h * s.h, block.w * s.w, cout};
      Tensor x = random_tensor(s, DType::f64, 190);
      Tensor w = random_tensor({s.c, block.d, block.h, block.w, cout}, DType::f64, 191);
      Tensor b = random_tensor(Shape::vector(cout), DType::f64, 192);
      const Tensor weights = random_tensor(out, DType::f64, 193, -1.0f, 1.3f);
      Tensor y(out, DType::f64), dx(s, DType::f64), dw(w.shape(), DType::f64),
          db(Shape::vector(cout), DType::f64);
      fill({dw, 0.0});
      fill({db, 0.0});
      conv_transpose3d_backward_data(weights, w, dx);
      conv_transpose3d_backward_weights(x, weights, dw, db);
      const auto loss = [&] {
        conv_transpose3d_forward(x, w, b, y);
        return dot(y, weights);
      };
      CHECK(gradient_check(name + " dx", x, dx, loss).ok);
      CHECK(gradient_check(name + " dw", w, dw, loss).ok);
      CHECK(gradient_check(name + " db", b, db, loss).ok);
    }
}
