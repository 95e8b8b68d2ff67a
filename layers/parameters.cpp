// Flat parameter storage and PyTorch-default initialisation.
#include "layers/parameters.h"

#include "kernels/elementwise.h"
#include "runtime/rng.h"

namespace unet3d {
namespace {

// Offsets are rounded to this many elements so every parameter starts 256-byte aligned in f32
// (what cuDNN's fast kernels prefer).
constexpr std::int64_t kAlignElements = 64;

std::int64_t aligned(std::int64_t n) {
  return (n + kAlignElements - 1) / kAlignElements * kAlignElements;
}

Tensor flat(std::int64_t n, DType dtype, Device device) {
  return Tensor(Shape::vector(n), dtype, device);
}

Tensor slice(Tensor& storage, std::int64_t offset, const Shape& shape) {
  return Tensor::view(static_cast<char*>(storage.data()) + offset * dtype_size(storage.dtype()),
                      shape, storage.dtype(), storage.device());
}

}  // namespace

ParameterStore::ParameterStore(std::vector<ParameterSpec> specs, Device device, DType master,
                               bool half_copies)
    : specs_(std::move(specs)), device_(device), master_(master), half_copies_(half_copies) {
  UNET3D_USAGE_CHECK(master == DType::f32 || master == DType::f64, "parameters: master dtype ",
                     dtype_name(master), " (needs f32 or f64)");
  for (const ParameterSpec& s : specs_) {
    std::int64_t& end = s.trainable ? trainable_elements_ : buffer_elements_;
    offsets_.push_back(end);
    end += aligned(s.shape.numel());
  }
  values_ = flat(trainable_elements_, master, device);
  grads_ = flat(trainable_elements_, master, device);
  if (half_copies_) halves_ = flat(trainable_elements_, DType::f16, device);
  buffers_ = flat(buffer_elements_, master, device);
  fill({values_, 0.0});  // the padding between parameters stays zero for good
  fill({buffers_, 0.0});
  zero_grads();
}

std::int64_t ParameterStore::find(const std::string& name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return static_cast<std::int64_t>(i);
  return -1;
}

std::int64_t ParameterStore::require(const std::string& name) const {
  const std::int64_t i = find(name);
  UNET3D_CHECK(i >= 0, "no parameter named ", name);
  return i;
}

Tensor ParameterStore::value(std::size_t i) {
  return slice(specs_[i].trainable ? values_ : buffers_, offsets_[i], specs_[i].shape);
}

Tensor ParameterStore::grad(std::size_t i) {
  UNET3D_USAGE_CHECK(specs_[i].trainable, "parameters: ", specs_[i].name, " has no gradient");
  return slice(grads_, offsets_[i], specs_[i].shape);
}

Tensor ParameterStore::compute_copy(std::size_t i) {
  if (!half_copies_) return value(i);
  UNET3D_USAGE_CHECK(specs_[i].trainable, "parameters: ", specs_[i].name, " has no f16 copy");
  return slice(halves_, offsets_[i], specs_[i].shape);
}

Tensor ParameterStore::values() {
  return slice(values_, 0, values_.shape());
}
Tensor ParameterStore::grads() {
  return slice(grads_, 0, grads_.shape());
}
Tensor ParameterStore::buffers() {
  return slice(buffers_, 0, buffers_.shape());
}
Tensor ParameterStore::halves() {
  UNET3D_USAGE_CHECK(half_copies_, "parameters: no f16 copies in f32 mode");
  return slice(halves_, 0, halves_.shape());
}

std::int64_t ParameterStore::parameter_count() const {
  std::int64_t total = 0;
  for (const ParameterSpec& s : specs_)
    if (s.trainable) total += s.shape.numel();
  return total;
}

void ParameterStore::initialize(std::uint64_t seed) {
  Rng rng(seed);
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const ParameterSpec& s = specs_[i];
    Tensor host(s.shape, master_, Device::cpu);
    if (s.init_low == s.init_high) {
      fill({host, s.init_low});
    } else {
      for (std::int64_t k = 0; k < host.numel(); ++k) {
        const double v = rng.uniform(s.init_low, s.init_high);
        if (master_ == DType::f64)
          host.data_as<double>()[k] = v;
        else
          host.data_as<float>()[k] = static_cast<float>(v);
      }
    }
    value(i).copy_from(host);
  }
  refresh_half_copies();
}

void ParameterStore::zero_grads() {
  fill({grads_, 0.0});
}

void ParameterStore::refresh_half_copies() {
  if (half_copies_) cast({values_, halves_});
}

}  // namespace unet3d
