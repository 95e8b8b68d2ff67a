// A model's parameters and buffers in flat, contiguous storage: master values (f32, or f64 for
// gradient checks), their gradients (always the master dtype), optional f16 copies for mixed
// precision, and the non-trained buffers (BatchNorm running statistics). Each parameter is a
// view into the flat storage, so the optimizer updates everything in one launch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace unet3d {

// How a tensor's layout here differs from PyTorch's (converted only at the checkpoint boundary).
enum class ParameterLayout {
  vector,          // [C], the same in both
  conv,            // ours [out, k, k, k, in]; PyTorch [out, in, k, k, k]
  conv_transpose,  // ours [in, 2, 2, 2, out]; PyTorch [in, out, 2, 2, 2]
};

struct ParameterSpec {
  std::string name;  // PyTorch's state_dict name, e.g. "enc1.conv1.weight"
  Shape shape;       // our layout
  ParameterLayout layout = ParameterLayout::vector;
  bool trainable = true;               // false: a buffer (BatchNorm running statistics)
  double init_low = 0, init_high = 0;  // uniform initialisation; low == high: constant low
};

class ParameterStore {
 public:
  ParameterStore(std::vector<ParameterSpec> specs, Device device, DType master, bool half_copies);

  std::size_t size() const { return specs_.size(); }
  const ParameterSpec& spec(std::size_t i) const { return specs_[i]; }
  // The index of the parameter named `name`, or -1.
  std::int64_t find(const std::string& name) const;
  // The same where `name` must exist (an internal Error otherwise).
  std::int64_t require(const std::string& name) const;
  Device device() const { return device_; }
  DType master_dtype() const { return master_; }
  bool has_half_copies() const { return half_copies_; }

  // Views (no allocation) of parameter i: its master value, its gradient (trainable only), and
  // the copy a convolution computes with (the f16 copy under mixed precision, else the value).
  Tensor value(std::size_t i);
  Tensor grad(std::size_t i);
  Tensor compute_copy(std::size_t i);
  // Where parameter i starts in its flat storage (values()/grads(), or buffers()), in elements.
  std::int64_t offset(std::size_t i) const { return offsets_[i]; }

  // The flat storage of every trainable parameter, padding included (padding stays zero).
  Tensor values();
  Tensor grads();
  Tensor halves();
  // The flat storage of every buffer (BatchNorm running statistics), which training updates too.
  Tensor buffers();
  std::int64_t trainable_elements() const { return trainable_elements_; }
  // Elements of real parameters, without padding.
  std::int64_t parameter_count() const;

  // Draws every parameter from its spec with the project's RNG (on the host, then copied), and
  // refreshes the f16 copies.
  void initialize(std::uint64_t seed);
  void zero_grads();
  void refresh_half_copies();

 private:
  std::vector<ParameterSpec> specs_;
  std::vector<std::int64_t> offsets_;  // into the trainable storage or the buffer storage
  Device device_;
  DType master_;
  bool half_copies_;
  std::int64_t trainable_elements_ = 0, buffer_elements_ = 0;
  Tensor values_, grads_, halves_, buffers_;
};

}  // namespace unet3d
