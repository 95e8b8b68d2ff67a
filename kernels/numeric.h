// Loads and stores between storage types and the type a kernel computes in: f16 (Half on the
// host, __half on the device) and f32 compute in f32, f64 in f64. Kernel bodies written against
// load()/store() are the same text for both backends.
#pragma once

#include <cmath>

#include "runtime/dtype.h"
#include "runtime/half.h"
#include "runtime/hd.h"

#ifdef __CUDACC__
#include <cuda_fp16.h>
#endif

namespace unet3d {

// Unqualified exp/log/sqrt/fmax in kernel bodies pick the overload for their argument's type
// (f32 math for f32) on the host as on the device, not C's double versions.
using std::exp;
using std::fmax;
using std::log;
using std::sqrt;

UNET3D_HD inline float load(const float* p) {
  return *p;
}
UNET3D_HD inline double load(const double* p) {
  return *p;
}
UNET3D_HD inline float load(const Half* p) {
  return half_bits_to_float(p->bits);
}
UNET3D_HD inline void store(float* p, float v) {
  *p = v;
}
UNET3D_HD inline void store(double* p, double v) {
  *p = v;
}
UNET3D_HD inline void store(Half* p, float v) {
  p->bits = float_to_half_bits(v);
}

#ifdef __CUDACC__
__device__ inline float load(const __half* p) {
  return __half2float(*p);
}
__device__ inline void store(__half* p, float v) {
  *p = __float2half_rn(v);
}
#endif

// The type a kernel computes in for storage type S: double for double, float otherwise.
template <class S>
struct ComputeType {
  using type = float;
};
template <>
struct ComputeType<double> {
  using type = double;
};
template <class S>
using compute_t = typename ComputeType<S>::type;

}  // namespace unet3d
