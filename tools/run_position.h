// Where a training run stands, and the checkpoint that keeps it: last.safetensors (the model)
// and last.train.safetensors (optimizer, loss scaler and this position), written atomically.
#pragma once

#include <cstdint>
#include <filesystem>

#include "tools/training.h"

namespace unet3d {

// Where a run stands: what the last checkpoint says, advanced as it trains. Plain numbers, so
// that rank 0 can hand it to the other ranks as bytes.
struct Position {
  std::int64_t epoch = 0, micro_batch = 0, optimizer_steps = 0, micro_batches = 0;
  double loss_sum = 0, best_dice = -1, seconds = 0;  // seconds: of this epoch before resuming
};

// The model and training state of `folder`'s last checkpoint loaded into t; its position.
Position read_last_checkpoint(const std::filesystem::path& folder, Training& t);

// last.safetensors and its training state at position p (epoch `epoch`, micro-batch `at`,
// `seconds` into the epoch).
void write_last_checkpoint(const std::filesystem::path& folder, Training& t, const Position& p,
                           std::int64_t epoch, std::int64_t at, double seconds);

}  // namespace unet3d
