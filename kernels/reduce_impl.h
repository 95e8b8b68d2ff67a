// Reductions over a whole tensor written once against an execution policy: the tensor as one
// channel of rows, through the per-channel sums (channel_reduce.h), so both backends combine in
// a fixed order and a result is the same bits on every run.
#pragma once

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/channel_reduce.h"
#include "kernels/numeric.h"
#include "kernels/reduce.h"

namespace unet3d::reduce_impl {

enum class Term { value, square, nonfinite };

template <Term K, class S>
struct ElementTerm {
  const S* x;
  UNET3D_HD Sums<1> operator()(std::int64_t i, std::int64_t) const {
    const double v = load(&x[i]);
    if constexpr (K == Term::value) return {{v}};
    if constexpr (K == Term::square) return {{v * v}};
    // v - v is 0 for every finite v, NaN for inf and NaN (no fast-math anywhere in this build).
    return {{v - v == 0 ? 0.0 : 1.0}};
  }
};

template <class Exec, Term K, class S, class Out>
void reduce(const S* x, std::int64_t n, Out* out) {
  const double* total = Exec::template channel_sums<1>(n, 1, ElementTerm<K, S>{x});
  Exec::for_each(1, [=] UNET3D_HD_LAMBDA(std::int64_t) { *out = static_cast<Out>(total[0]); });
}

template <class On, Term K>
void reduce_into(const char* op, const Tensor& x, Tensor& out) {
  Exec<On>::with_storage_type(op, x, [&](auto s) {
    const auto* p = typed(s, x);
    if (out.dtype() == DType::f64)
      reduce<Exec<On>, K>(p, x.numel(), static_cast<double*>(out.data()));
    else
      reduce<Exec<On>, K>(p, x.numel(), static_cast<float*>(out.data()));
  });
}

}  // namespace unet3d::reduce_impl

// The entry points, per backend (kernels/backend.h), with their dtype dispatch.
namespace unet3d::backend {

template <class On>
void sum(const SumArgs& a) {
  reduce_impl::reduce_into<On, reduce_impl::Term::value>("sum", a.x, a.out);
}

template <class On>
void sum_of_squares(const SumOfSquaresArgs& a) {
  reduce_impl::reduce_into<On, reduce_impl::Term::square>("sum_of_squares", a.x, a.out);
}

template <class On>
void count_nonfinite(const CountNonfiniteArgs& a) {
  reduce_impl::reduce_into<On, reduce_impl::Term::nonfinite>("count_nonfinite", a.x, a.out);
}

}  // namespace unet3d::backend

#define UNET3D_REDUCE_ENTRIES(X) X(PLAIN, sum) X(PLAIN, sum_of_squares) X(PLAIN, count_nonfinite)
