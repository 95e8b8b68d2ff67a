// Device values read by the host without waiting for the card.
#include "runtime/host_mirror.h"

#include <algorithm>
#include <utility>

#include "runtime/gpu_runtime.h"
#include "unet3d/build_config.h"

namespace unet3d {

HostMirror::HostMirror(std::size_t n, Device device)
    : values_(Shape::vector(static_cast<std::int64_t>(n)), DType::f64, device), host_(n, 0.0) {
  if (device == Device::cuda) {
    if constexpr (kBuiltWithCuda)
      landing_ = static_cast<double*>(gpu::allocate_pinned(n * sizeof(double)));
  }
  upload();
}

void HostMirror::upload() {
  values_.copy_from(Tensor::view(host_.data(), values_.shape(), DType::f64, Device::cpu));
}

HostMirror::HostMirror(HostMirror&& other) noexcept
    : values_(std::move(other.values_)),
      host_(std::move(other.host_)),
      landing_(std::exchange(other.landing_, nullptr)),
      event_(std::exchange(other.event_, nullptr)),
      in_flight_(std::exchange(other.in_flight_, false)) {}

HostMirror::~HostMirror() {
  if constexpr (kBuiltWithCuda) {
    if (event_ != nullptr) {
      if (in_flight_) gpu::wait_for_event(event_);  // the copy must not land in freed memory
      gpu::destroy_event(event_);
    }
    if (landing_ != nullptr) gpu::release_pinned(landing_);
  }
}

void HostMirror::take_arrived() {
  std::copy(landing_, landing_ + host_.size(), host_.begin());
  in_flight_ = false;
}

void HostMirror::request() {
  if constexpr (kBuiltWithCuda) {
    if (landing_ == nullptr) return;
    if (in_flight_) {
      if (!gpu::event_done(event_)) return;
      take_arrived();
    }
    gpu::copy_to_host_async(landing_, values_.data(), host_.size() * sizeof(double), event_);
    in_flight_ = true;
  }
}

const std::vector<double>& HostMirror::latest() {
  if (landing_ == nullptr) {
    std::copy_n(static_cast<const double*>(values_.data()), host_.size(), host_.begin());
    return host_;
  }
  if constexpr (kBuiltWithCuda)
    if (in_flight_ && gpu::event_done(event_)) take_arrived();
  return host_;
}

const std::vector<double>& HostMirror::current() {
  if (landing_ == nullptr) return latest();
  if constexpr (kBuiltWithCuda) {
    if (in_flight_) gpu::wait_for_event(event_);
    in_flight_ = false;
    gpu::copy_to_host_async(landing_, values_.data(), host_.size() * sizeof(double), event_);
    gpu::wait_for_event(event_);
    take_arrived();
  }
  return host_;
}

void HostMirror::set(std::size_t i, double value) {
  current();
  host_.at(i) = value;
  upload();
}

}  // namespace unet3d
