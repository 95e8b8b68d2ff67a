// Data-parallel training's exchanges between the ranks of a Communicator (runtime/
// communicator.h): the parameters and buffers of rank 0 handed to every rank before training,
// and after each backward the master gradients averaged over the ranks, so that every rank's
// optimizer step starts from the same gradient and every rank holds the same weights after it.
#pragma once

#include <vector>

#include "kernels/rank_sums.h"
#include "layers/parameters.h"
#include "runtime/communicator.h"
#include "runtime/tensor.h"

namespace unet3d {

// t := rank 0's t on every rank (any device; device tensors go through the host).
void broadcast_tensor(Communicator& c, Tensor& t);

// RankSums (kernels/rank_sums.h) over a Communicator: device sums go through the host.
class CommunicatorSums : public RankSums {
 public:
  explicit CommunicatorSums(Communicator& communicator) : communicator_(communicator) {}
  int ranks() const override { return communicator_.size(); }
  void sum(double* data, std::size_t n, Device device) override;

 private:
  Communicator& communicator_;
  std::vector<double> host_;  // grown to the largest n seen, then reused
};

class GradientAverager {
 public:
  // `parameters` and `communicator` must outlive this. Among several ranks whose gradients live
  // on GPUs, the ranks join an NCCL group here (its id broadcast by the communicator) where the
  // build has NCCL; otherwise a host buffer for the sums is allocated here.
  // Host gradients are summed in buckets of at least `bucket_elements`, begun as backward
  // finishes them (gradients_ready_from).
  GradientAverager(ParameterStore& parameters, Communicator& communicator,
                   std::int64_t bucket_elements = kBucketElements);
  ~GradientAverager();
  // 4 MiB of f32 gradients: large enough that a bucket's latency is small beside its transfer.
  static constexpr std::int64_t kBucketElements = 1 << 20;
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;
  // What sums the gradients: "NCCL", "MPI" or "nothing" (one rank).
  const char* transport() const;

  // Every rank := rank 0's master values, their f16 copies and the buffers (BatchNorm's running
  // statistics).
  void broadcast_parameters();
  // Backward has finished every gradient from grads()[offset] on (UNet3D::backward's
  // gradients_ready, in decreasing offsets, during the backward that precedes the step): where
  // the gradients live on the host, the sum of the finished ones not yet begun starts once they
  // fill a bucket, and begun sums are moved on. Elsewhere (GPUs) nothing happens until the step.
  void gradients_ready_from(std::int64_t offset);
  // grads := (the sum over the ranks of their grads) x factor, the same bits on every rank: the
  // buckets begun are finished and the rest summed (on the host, through MPI), or the whole
  // summed GPU to GPU (NCCL) or through the host (GPUs without NCCL).
  void sum_gradients(double factor);
  // The mean: sum_gradients(1 / ranks).
  void average_gradients() { sum_gradients(1.0 / communicator_.size()); }
  // The buckets the last sum_gradients() summed, for the tests.
  std::int64_t buckets_last_step() const { return buckets_last_step_; }
  // True on every rank when every rank's master values are rank 0's, bit for bit (a collective).
  bool ranks_hold_same_weights();

 private:
  ParameterStore& parameters_;
  Communicator& communicator_;
  Tensor host_;           // the flat gradients on the host when they live on a GPU, without NCCL
  void* nccl_ = nullptr;  // the ranks' NCCL group (runtime/nccl_group.h), with NCCL
  std::int64_t bucket_elements_;
  std::int64_t unbegun_end_;  // grads [unbegun_end_, end) are being summed (host buckets)
  std::int64_t buckets_ = 0, buckets_last_step_ = 0;
};

}  // namespace unet3d
