// Arena planning, the single allocation, and carving views.
#include "runtime/arena.h"

namespace unet3d {

Arena::Slot Arena::plan(Shape shape, DType dtype) {
  UNET3D_USAGE_CHECK(!committed_,
                     "Arena::plan after commit: planning is over once memory is "
                     "allocated");
  Slot slot{planned_bytes_, shape, dtype};
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
  planned_bytes_ += (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return slot;
}

void Arena::commit() {
  UNET3D_USAGE_CHECK(!committed_, "Arena::commit called twice");
  try {
    buffer_ = Buffer(planned_bytes_, device_);
  } catch (const Error& e) {  // say what did not fit
    throw Error(e.kind(), concat("allocating the network's activations and gradients (",
                                 static_cast<double>(planned_bytes_) / 1e9, " GB): ", e.what()));
  }
  committed_ = true;
}

Tensor Arena::view(const Slot& slot) {
  UNET3D_USAGE_CHECK(committed_, "Arena::view before commit: no memory has been allocated");
  const std::size_t bytes = static_cast<std::size_t>(slot.shape.numel()) * dtype_size(slot.dtype);
  UNET3D_CHECK(slot.offset + bytes <= planned_bytes_, "slot at offset ", slot.offset, " of ", bytes,
               " bytes lies outside an arena of ", planned_bytes_, " bytes");
  return Tensor::view(static_cast<char*>(buffer_.data()) + slot.offset, slot.shape, slot.dtype,
                      device_);
}

}  // namespace unet3d
