// Broadcasting the parameters and averaging the gradients across ranks.
#include "layers/data_parallel.h"

#include "kernels/elementwise.h"
#include "runtime/error.h"
#include "runtime/nccl_group.h"
#include "unet3d/build_config.h"

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

GradientAverager::GradientAverager(ParameterStore& parameters, Communicator& communicator,
                                   std::int64_t bucket_elements)
    : parameters_(parameters),
      communicator_(communicator),
      bucket_elements_(bucket_elements),
      unbegun_end_(parameters.trainable_elements()) {
  UNET3D_USAGE_CHECK(bucket_elements >= 1, "GradientAverager: buckets of ", bucket_elements,
                     " elements");
  const DType master = parameters.master_dtype();
  UNET3D_USAGE_CHECK(master == DType::f32 || master == DType::f64,
                     "GradientAverager: master dtype ", dtype_name(master));
  if (parameters.device() == Device::cpu || !communicator.distributed()) return;
  if constexpr (kBuiltWithNccl) {
    nccl::UniqueId id{};
    if (communicator.rank() == 0) id = nccl::new_id();
    communicator.broadcast(&id, sizeof id);
    nccl_ = nccl::join(id, communicator.rank(), communicator.size());
  } else {
    host_ = Tensor(parameters.grads().shape(), master, Device::cpu);
  }
}

GradientAverager::~GradientAverager() {
  if constexpr (kBuiltWithNccl) nccl::leave(nccl_);
}

const char* GradientAverager::transport() const {
  return !communicator_.distributed() ? "nothing" : nccl_ != nullptr ? "NCCL" : "MPI";
}

void GradientAverager::broadcast_parameters() {
  if (!communicator_.distributed()) return;
  Tensor values = parameters_.values(), buffers = parameters_.buffers();
  broadcast_tensor(communicator_, values);
  broadcast_tensor(communicator_, buffers);
  parameters_.refresh_half_copies();
}

namespace {

// grads [first, end) begun as one sum over the ranks.
void begin_bucket(Communicator& c, Tensor& grads, std::int64_t first, std::int64_t end) {
  const auto n = static_cast<std::size_t>(end - first);
  if (grads.dtype() == DType::f64)
    c.begin_sum(grads.data_as<double>() + first, n);
  else
    c.begin_sum(grads.data_as<float>() + first, n);
}

}  // namespace

void GradientAverager::gradients_ready_from(std::int64_t offset) {
  if (!communicator_.distributed() || parameters_.device() != Device::cpu) return;
  if (unbegun_end_ - offset >= bucket_elements_) {
    Tensor grads = parameters_.grads();
    begin_bucket(communicator_, grads, offset, unbegun_end_);
    unbegun_end_ = offset;
    ++buckets_;
  } else {
    communicator_.progress();
  }
}

void GradientAverager::sum_gradients(double factor) {
  if (!communicator_.distributed()) return;
  Tensor grads = parameters_.grads();
  if (grads.device() == Device::cpu) {  // the rest as a last bucket, then all of them finished
    if (unbegun_end_ > 0) begin_bucket(communicator_, grads, 0, unbegun_end_), ++buckets_;
    communicator_.finish_sums();
    buckets_last_step_ = buckets_, buckets_ = 0;
    unbegun_end_ = parameters_.trainable_elements();
  } else if (nccl_ != nullptr) {  // GPU to GPU, on the step's stream
    if constexpr (kBuiltWithNccl)
      nccl::sum(nccl_, grads.data(), static_cast<std::size_t>(grads.numel()), grads.dtype());
  } else {  // GPUs without NCCL: through the host, in one piece
    host_.copy_from(grads);
    sum_over_ranks(communicator_, host_);
    grads.copy_from(host_);
  }
  if (factor != 1.0) affine({grads, factor, 0.0, grads});
}

bool GradientAverager::ranks_hold_same_weights() {
  if (!communicator_.distributed()) return true;
  const Tensor own = parameters_.values().to(Device::cpu);
  return communicator_.same_as_rank0(own.data(), own.bytes());
}

}  // namespace unet3d
