// Arena: memory a model plans once for fixed shapes. Every tensor is planned first (plan()),
// then one allocation holds them all (commit()), then views are carved without allocating
// (view()). Shapes are fixed for a run, so a training step built on an Arena allocates nothing.
#pragma once

#include <cstddef>

#include "runtime/tensor.h"

namespace unet3d {

class Arena {
 public:
  // Offsets are aligned for vectorised loads and cuDNN's preferred alignment.
  static constexpr std::size_t kAlignment = 256;

  struct Slot {
    std::size_t offset = 0;
    Shape shape;
    DType dtype = DType::f32;
  };

  explicit Arena(Device device) : device_(device) {}

  // Reserves room for one tensor; only before commit().
  Slot plan(Shape shape, DType dtype);
  // Allocates the planned total in one Buffer; only once.
  void commit();
  // A view of a planned slot; only after commit(). Allocates nothing.
  Tensor view(const Slot& slot);

  Device device() const { return device_; }
  std::size_t planned_bytes() const { return planned_bytes_; }

 private:
  Device device_;
  std::size_t planned_bytes_ = 0;
  bool committed_ = false;
  Buffer buffer_;
};

}  // namespace unet3d
