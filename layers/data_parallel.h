// Data-parallel training's exchanges between the ranks of a Communicator (runtime/
// communicator.h): the parameters and buffers of rank 0 handed to every rank before training,
// and after each backward the master gradients averaged over the ranks, so that every rank's
// optimizer step starts from the same gradient and every rank holds the same weights after it.
#pragma once

#include "layers/parameters.h"
#include "runtime/communicator.h"
#include "runtime/tensor.h"

namespace unet3d {

class GradientAverager {
 public:
  // `parameters` and `communicator` must outlive this; its host buffer is allocated here.
  GradientAverager(ParameterStore& parameters, Communicator& communicator);

  // Every rank := rank 0's master values, their f16 copies and the buffers (BatchNorm's running
  // statistics).
  void broadcast_parameters();
  // grads := (the sum over the ranks of their grads) x (1 / ranks), as one bucket through the
  // host, the same bits on every rank.
  void average_gradients();

 private:
  ParameterStore& parameters_;
  Communicator& communicator_;
  Tensor host_;  // the flat gradients on the host when they live on a GPU (master dtype)
};

}  // namespace unet3d
