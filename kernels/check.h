// Argument checks shared by the kernel families' public calls.
#pragma once

#include <initializer_list>

#include "runtime/tensor.h"

namespace unet3d {

// Every tensor lives on the first one's device and has its shape; else a usage Error naming
// the op and both tensors.
void check_same_device_and_shape(const char* op, std::initializer_list<const Tensor*> tensors);
// Every tensor also has the first one's dtype.
void check_same_layout(const char* op, std::initializer_list<const Tensor*> tensors);
// v is a per-channel vector for t: [t's channels], in `dtype`, on t's device; else a usage Error
// naming the op, both tensors and what v should be.
void check_channel_vector(const char* op, const Tensor& t, const Tensor& v, DType dtype);
// The usage Error for a dtype a backend does not implement for `op`.
[[noreturn]] void unsupported_dtype(const char* op, const Tensor& t);

}  // namespace unet3d
