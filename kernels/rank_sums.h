// The few numbers a data-parallel step sums over its ranks inside a kernel's work: the loss's
// per-class sums (so that the loss is the global batch's) and, with --sync-bn, BatchNorm's
// per-channel sums in forward and backward (so that N ranks at batch b normalise as one process
// at batch N b). The kernels call it between their sum pass and the pass that uses the sums;
// layers/data_parallel.h implements it over a Communicator.
#pragma once

#include <cstddef>

#include "runtime/tensor.h"

namespace unet3d {

class RankSums {
 public:
  virtual ~RankSums() = default;
  // The ranks taking part; each holds a micro-batch of the same shape.
  virtual int ranks() const = 0;
  // data[0, n) (f64, on `device`: a kernel's scratch) := its sum over the ranks, the same bits
  // on every rank.
  virtual void sum(double* data, std::size_t n, Device device) = 0;
};

}  // namespace unet3d
