// Argument checks: each failure a usage Error naming the op and the tensors at fault.
#include "kernels/check.h"

namespace unet3d {

void check_same_device_and_shape(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor& first = **tensors.begin();
  for (const Tensor* t : tensors) {
    UNET3D_USAGE_CHECK(t->device() == first.device(), op,
                       ": tensors on different devices: ", first.describe(), " and ",
                       t->describe());
    UNET3D_USAGE_CHECK(t->shape() == first.shape(), op, ": shapes differ: ", first.describe(),
                       " and ", t->describe());
  }
}

void check_same_layout(const char* op, std::initializer_list<const Tensor*> tensors) {
  check_same_device_and_shape(op, tensors);
  const Tensor& first = **tensors.begin();
  for (const Tensor* t : tensors)
    UNET3D_USAGE_CHECK(t->dtype() == first.dtype(), op, ": dtypes differ: ", first.describe(),
                       " and ", t->describe());
}

void check_channel_vector(const char* op, const Tensor& t, const Tensor& v, DType dtype) {
  const Shape expected = Shape::vector(t.shape().c);
  UNET3D_USAGE_CHECK(v.shape() == expected && v.dtype() == dtype && v.device() == t.device(), op,
                     ": per-channel tensor ", v.describe(), " does not fit ", t.describe(),
                     " (expected ", dtype_name(dtype), " ", expected.str(), " on ",
                     device_name(t.device()), ")");
}

void unsupported_dtype(const char* op, const Tensor& t) {
  throw_error(ErrorKind::usage,
              concat(op, ": dtype ", dtype_name(t.dtype()), " is not supported on the ",
                     device_name(t.device()), " backend (tensor ", t.describe(), ")"),
              __FILE__, __LINE__);
}

}  // namespace unet3d
