// Tensor: a 5-D NDHWC array of one dtype on one device. It either owns its Buffer or is a view
// carved from an Arena (which must outlive it). Move-only; crossing devices is always an
// explicit call (to(), copy_from()), never implicit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/buffer.h"
#include "runtime/device.h"
#include "runtime/dtype.h"
#include "runtime/error.h"
#include "runtime/shape.h"

namespace unet3d {

class Tensor {
 public:
  Tensor() = default;
  // Allocates (uninitialised) memory for `shape` on `device`.
  Tensor(Shape shape, DType dtype, Device device = Device::cpu);
  // A non-owning view of memory someone else keeps alive (an Arena).
  static Tensor view(void* data, Shape shape, DType dtype, Device device);

  // A moved-from tensor is empty (no data, no elements), never a second handle to the memory.
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool is_cuda() const { return device_ == Device::cuda; }
  std::int64_t numel() const { return shape_.numel(); }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

  void* data() { return data_; }
  const void* data() const { return data_; }
  template <class T>
  T* data_as() {
    check_dtype(DTypeOf<T>::value);
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* data_as() const {
    check_dtype(DTypeOf<T>::value);
    return static_cast<const T*>(data_);
  }

  // A non-owning view of batch element n ([1, D, H, W, C]), valid while this tensor lives.
  Tensor item(std::int64_t n) const;
  // A non-owning view of this tensor's memory, valid while this tensor lives.
  Tensor alias() const { return view(data_, shape_, dtype_, device_); }
  // A new tensor on `device` holding a copy of this one.
  Tensor to(Device device) const;
  // Copies `src` (same shape and dtype, any device) into this tensor.
  void copy_from(const Tensor& src);
  // "f32 cuda [n=1 d=2 h=3 w=4 c=5]", for messages.
  std::string describe() const;

 private:
  void check_dtype(DType wanted) const;

  Buffer owned_;
  void* data_ = nullptr;
  Shape shape_{0, 0, 0, 0, 0};
  DType dtype_ = DType::f32;
  Device device_ = Device::cpu;
};

}  // namespace unet3d
