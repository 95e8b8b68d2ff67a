// Tensor construction, views and explicit copies between devices.
#include "runtime/tensor.h"

#include <cstring>
#include <limits>
#include <utility>

#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

void check_shape(const Shape& s) {
  const std::int64_t dims[] = {s.n, s.d, s.h, s.w, s.c};
  std::int64_t total = 1;
  for (std::int64_t v : dims) {
    UNET3D_USAGE_CHECK(v >= 0, "tensor shape ", s.str(), " has a negative dimension");
    UNET3D_USAGE_CHECK(v == 0 || total <= std::numeric_limits<std::int64_t>::max() / 8 / v,
                       "tensor shape ", s.str(), " is too large");
    total *= v;
  }
}

}  // namespace

Tensor::Tensor(Shape shape, DType dtype, Device device)
    : shape_(shape), dtype_(dtype), device_(device) {
  check_shape(shape);
  try {
    owned_ = Buffer(bytes(), device);
  } catch (const Error& e) {  // say which tensor did not fit
    throw Error(e.kind(), concat("allocating a tensor ", shape.str(), " of ", dtype_name(dtype),
                                 " on the ", device_name(device), ": ", e.what()));
  }
  data_ = owned_.data();
}

Tensor::Tensor(Tensor&& other) noexcept {
  *this = std::move(other);
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this != &other) {
    owned_ = std::move(other.owned_);
    data_ = std::exchange(other.data_, nullptr);
    shape_ = std::exchange(other.shape_, Shape{0, 0, 0, 0, 0});
    dtype_ = other.dtype_;
    device_ = other.device_;
  }
  return *this;
}

Tensor Tensor::view(void* data, Shape shape, DType dtype, Device device) {
  check_shape(shape);
  UNET3D_USAGE_CHECK(device == Device::cpu || gpu_available(),
                     "cannot view GPU memory: ", gpu_unavailable_reason());
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  return t;
}

Tensor Tensor::item(std::int64_t n) const {
  UNET3D_USAGE_CHECK(n >= 0 && n < shape_.n, "item ", n, " of ", describe());
  const Shape one{1, shape_.d, shape_.h, shape_.w, shape_.c};
  return view(
      static_cast<char*>(data_) + static_cast<std::size_t>(n * one.numel()) * dtype_size(dtype_),
      one, dtype_, device_);
}

Tensor Tensor::to(Device device) const {
  Tensor out(shape_, dtype_, device);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  UNET3D_USAGE_CHECK(src.shape_ == shape_ && src.dtype_ == dtype_, "copy_from: source ",
                     src.describe(), " does not match destination ", describe());
  if (bytes() == 0) return;
  if (device_ == Device::cpu && src.device_ == Device::cpu) {
    std::memcpy(data_, src.data_, bytes());
  } else if constexpr (kBuiltWithCuda) {
    gpu::copy_bytes(data_, device_, src.data_, src.device_, bytes());
  }
}

std::string Tensor::describe() const {
  return concat(dtype_name(dtype_), " ", device_name(device_), " ", shape_.str());
}

void Tensor::check_dtype(DType wanted) const {
  UNET3D_CHECK(dtype_ == wanted, "tensor ", describe(), " read as ", dtype_name(wanted));
}

}  // namespace unet3d
