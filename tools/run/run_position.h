// Where a training run stands, and the checkpoint that keeps it: last.safetensors (the model)
// and last.train.safetensors (optimizer, loss scaler and this position), a pair that changes as
// one: while a new pair is written the previous one is kept as previous.safetensors and
// previous.train.safetensors, so that a kill or a failed write at any moment leaves a whole pair.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "tools/run/training.h"

namespace unet3d {

// Where a run stands: what the last checkpoint says, advanced as it trains. Plain numbers, so
// that rank 0 can hand it to the other ranks as bytes.
struct Position {
  std::int64_t epoch = 0, micro_batch = 0, optimizer_steps = 0, micro_batches = 0;
  double loss_sum = 0, best_dice = -1, seconds = 0;  // seconds: of this epoch before resuming
};

// Whether `folder` holds checkpoint files (whole pairs or not): a run has started there.
bool has_checkpoint_files(const std::filesystem::path& folder);

// Whether the resumed run `c` in `folder`, standing at `epoch`, has nothing left to do: trained
// to its last epoch, its test report written (test/report.md, a run's last file), and neither a
// larger --epochs nor --retest given.
bool nothing_left_to_do(const std::filesystem::path& folder, std::int64_t epoch,
                        const RunConfig& c);

// The newest whole pair of `folder` (the last, else the previous one, with a warning) loaded
// into t; its position. None, with a warning, where the first pair's writing was cut; a data
// Error where no pair is whole otherwise (a file lost or damaged).
std::optional<Position> read_last_checkpoint(const std::filesystem::path& folder, Training& t);

// last.safetensors and its training state at position p (epoch `epoch`, micro-batch `at`,
// `seconds` into the epoch).
void write_last_checkpoint(const std::filesystem::path& folder, Training& t, const Position& p,
                           std::int64_t epoch, std::int64_t at, double seconds);

}  // namespace unet3d
