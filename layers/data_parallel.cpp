// Broadcasting the parameters and averaging the gradients across ranks.
#include "layers/data_parallel.h"

#include <cstring>

#include "kernels/elementwise.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

// t's elements summed over the ranks in place (f32 or f64 on the host).
void sum_over_ranks(Communicator& c, Tensor& t) {
  const auto n = static_cast<std::size_t>(t.numel());
  if (t.dtype() == DType::f64)
    c.sum(t.data_as<double>(), n);
  else
    c.sum(t.data_as<float>(), n);
}

}  // namespace

void broadcast_tensor(Communicator& c, Tensor& t) {
  if (t.numel() == 0 || !c.distributed()) return;
  if (t.device() == Device::cpu) return c.broadcast(t.data(), t.bytes());
  Tensor host = t.to(Device::cpu);
  c.broadcast(host.data(), host.bytes());
  t.copy_from(host);
}

void CommunicatorSums::sum(double* data, std::size_t n, Device device) {
  if (!communicator_.distributed() || n == 0) return;
  if (device == Device::cpu) return communicator_.sum(data, n);
  if (host_.size() < n) host_.resize(n);
  const Shape shape = Shape::vector(static_cast<std::int64_t>(n));
  Tensor on_device = Tensor::view(data, shape, DType::f64, device);
  Tensor on_host = Tensor::view(host_.data(), shape, DType::f64, Device::cpu);
  on_host.copy_from(on_device);
  communicator_.sum(host_.data(), n);
  on_device.copy_from(on_host);
}

GradientAverager::GradientAverager(ParameterStore& parameters, Communicator& communicator)
    : parameters_(parameters), communicator_(communicator) {
  const DType master = parameters.master_dtype();
  UNET3D_USAGE_CHECK(master == DType::f32 || master == DType::f64,
                     "GradientAverager: master dtype ", dtype_name(master));
  if (parameters.device() != Device::cpu && communicator.distributed())
    host_ = Tensor(parameters.grads().shape(), master, Device::cpu);
}

void GradientAverager::broadcast_parameters() {
  if (!communicator_.distributed()) return;
  Tensor values = parameters_.values(), buffers = parameters_.buffers();
  broadcast_tensor(communicator_, values);
  broadcast_tensor(communicator_, buffers);
  parameters_.refresh_half_copies();
}

void GradientAverager::average_gradients() {
  if (!communicator_.distributed()) return;
  Tensor grads = parameters_.grads();
  Tensor& host = grads.device() == Device::cpu ? grads : host_;
  if (&host != &grads) host.copy_from(grads);
  sum_over_ranks(communicator_, host);
  affine(host, 1.0 / communicator_.size(), 0.0, host);
  if (&host != &grads) grads.copy_from(host);
}

bool GradientAverager::ranks_hold_same_weights() {
  if (!communicator_.distributed()) return true;
  const Tensor own = parameters_.values().to(Device::cpu);
  Tensor rank0 = own.to(Device::cpu);
  broadcast_tensor(communicator_, rank0);
  double differing = std::memcmp(own.data(), rank0.data(), own.bytes()) != 0 ? 1.0 : 0.0;
  communicator_.sum(&differing, 1);
  return differing == 0;
}

}  // namespace unet3d
