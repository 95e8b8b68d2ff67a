// A few f64 values that kernels keep on the device (the optimizer's step count, the loss scale,
// the running loss) and the host reads only where it prints or checks them: a copy into pinned
// memory queued on the stream with an event behind it, so that a training step never waits for
// the card. On the CPU the values are plain host memory and every read is immediate.
#pragma once

#include <cstddef>
#include <vector>

#include "runtime/tensor.h"

namespace unet3d {

class HostMirror {
 public:
  // n values on `device`, all 0.
  HostMirror(std::size_t n, Device device);
  ~HostMirror();
  HostMirror(HostMirror&& other) noexcept;
  HostMirror& operator=(HostMirror&&) = delete;
  HostMirror(const HostMirror&) = delete;
  HostMirror& operator=(const HostMirror&) = delete;

  // The values where kernels read and write them: [n] f64 on the device.
  Tensor values() { return values_.alias(); }
  double* device_data() { return static_cast<double*>(values_.data()); }

  // Queues a copy of the values as the work queued so far leaves them, unless an earlier copy
  // is still on its way (the next request after its arrival queues a fresh one). Never waits.
  void request();
  // The values of the last copy that has arrived, without waiting (on the CPU: the values).
  // Before any copy has arrived: zeros.
  const std::vector<double>& latest();
  // The values after all work queued so far: waits for the card.
  const std::vector<double>& current();
  // Overwrites value i from the host (a checkpoint's), after the work queued so far.
  void set(std::size_t i, double value);

 private:
  void take_arrived();
  void upload();  // host_ to the device, waiting for the copy

  Tensor values_;
  std::vector<double> host_;
  double* landing_ = nullptr;  // pinned; the GPU's copies land here
  void* event_ = nullptr;
  bool in_flight_ = false;
};

}  // namespace unet3d
