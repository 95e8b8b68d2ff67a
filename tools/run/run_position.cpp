// Reading and writing the last checkpoint with the run's position, the pair of files changing as
// one: the writer keeps the previous pair (hard links under other names) until the new one is
// whole, and the reader takes the newest whole pair (the same step and epoch in both files, the
// training state naming its model file's data checksum).
#include "tools/run/run_position.h"

#include <iomanip>
#include <optional>
#include <string>

#include "io/safetensors.h"
#include "runtime/atomic_file.h"
#include "runtime/log.h"
#include "tools/model/checkpoint.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

struct PairNames {
  const char* model;
  const char* state;
};
constexpr PairNames kLast{"last.safetensors", "last.train.safetensors"};
constexpr PairNames kPrevious{"previous.safetensors", "previous.train.safetensors"};

// The step and epoch both files of a pair carry, from their headers; none where a file is
// missing, unreadable, or the two are not one pair (a write cut between them): the training state
// names its model file's data checksum (files of older versions: the same step and epoch).
std::optional<std::pair<std::int64_t, std::int64_t>> whole_pair(const fs::path& folder,
                                                                PairNames names) {
  const fs::path model = folder / names.model, state = folder / names.state;
  if (!fs::exists(model) || !fs::exists(state)) return std::nullopt;
  try {
    const SafetensorsFile m = read_safetensors_header(model.string()),
                          s = read_safetensors_header(state.string());
    const std::int64_t step = m.metadata_integer("step", model.string()),
                       epoch = m.metadata_integer("epoch", model.string());
    if (s.metadata_integer("step", state.string()) != step ||
        s.metadata_integer("trainer.epoch", state.string()) != epoch ||
        s.metadata_or("trainer.model_crc32c", m.metadata_or("data_crc32c", "")) !=
            m.metadata_or("data_crc32c", ""))
      return std::nullopt;
    return std::pair{step, epoch};
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

bool has_checkpoint_files(const fs::path& folder) {
  return fs::exists(folder / kLast.model) || fs::exists(folder / kPrevious.model);
}

std::optional<Position> read_last_checkpoint(const fs::path& folder, Training& t) {
  const auto last = whole_pair(folder, kLast), previous = whole_pair(folder, kPrevious);
  const bool take_last = last && (!previous || *last >= *previous);
  const auto path = [&](const char* name) { return (folder / name).string(); };
  if (!take_last && !previous) {
    // Only the first pair's writing, cut, leaves no whole pair: a lone model file of epoch 0 or
    // 1, no training state, nothing previous. Anything else is damage, not to be trained over.
    const bool first_cut =
        !fs::exists(folder / kLast.state) && !fs::exists(folder / kPrevious.model) &&
        !fs::exists(folder / kPrevious.state) &&
        read_safetensors_header(path(kLast.model)).metadata_integer("epoch", path(kLast.model)) <=
            1;
    if (!first_cut)
      throw Error(ErrorKind::data, concat(folder.string(), " holds no whole checkpoint pair (",
                                          kLast.model, " and ", kLast.state,
                                          " are not one pair, and no previous pair is "
                                          "whole): the run cannot be resumed"));
    log_warn(folder.string(), " holds no whole checkpoint pair (the first one's writing was cut): ",
             "starting at epoch 1");
    return std::nullopt;
  }
  const PairNames names = take_last ? kLast : kPrevious;
  if (!take_last)
    log_warn(path(kLast.model), " and ", kLast.state, " are not one pair (a write was cut ",
             "between them): resuming from ", kPrevious.model);
  const ModelInfo info = load_model(path(names.model), t.net);
  const TrainingState state =
      load_training_state(path(names.state), t.optimizer, t.scaler, info.step);
  if (take_last) {  // loaded: what a run killed while replacing the pair left of the previous one
    remove_file(path(kPrevious.state));
    remove_file(path(kPrevious.model));
  }
  const auto& e = state.extra;
  Position p;
  p.epoch = std::stoll(e.at("epoch"));
  p.micro_batch = std::stoll(e.at("position"));
  p.optimizer_steps = info.step;
  p.loss_sum = std::stod(e.at("train_loss_sum"));
  p.micro_batches = std::stoll(e.at("train_micro_batches"));
  p.best_dice = std::stod(e.at("best_dice"));
  p.seconds = std::stod(e.at("epoch_seconds"));
  return p;
}

void write_last_checkpoint(const fs::path& folder, Training& t, const Position& p,
                           std::int64_t epoch, std::int64_t at, double seconds) {
  const auto path = [&](const char* name) { return (folder / name).string(); };
  // The pair now in place, kept under the previous names while the new one is written. A pair
  // that is not whole is not kept: the previous pair is then the one to keep.
  if (whole_pair(folder, kLast)) {
    link_atomically(path(kLast.model), path(kPrevious.model));
    link_atomically(path(kLast.state), path(kPrevious.state));
  }
  Position saved = p;
  saved.epoch = epoch;
  save_model(path(kLast.model), t.net, t.info(saved.epoch, saved.optimizer_steps));
  // What makes the two one pair: steps skipped by the loss scaler leave the step count as it
  // was, while the running statistics and the position move on.
  const std::string model_checksum =
      read_safetensors_header(path(kLast.model)).metadata_or("data_crc32c", "");
  const auto exact = [](double v) { return concat(std::setprecision(17), v); };
  save_training_state(path(kLast.state), t.optimizer, t.scaler,
                      {p.optimizer_steps,
                       {{"epoch", std::to_string(epoch)},
                        {"position", std::to_string(at)},
                        {"train_loss_sum", exact(p.loss_sum)},
                        {"train_micro_batches", std::to_string(p.micro_batches)},
                        {"best_dice", exact(p.best_dice)},
                        {"epoch_seconds", exact(seconds)},
                        {"model_crc32c", model_checksum}}});
  // The new pair is whole: the previous one goes (its state file first, so that a cut here
  // leaves no second whole pair).
  remove_file(path(kPrevious.state));
  remove_file(path(kPrevious.model));
}

bool nothing_left_to_do(const fs::path& folder, std::int64_t epoch, const RunConfig& c) {
  return c.resuming && c.extending_from == 0 && !c.retest && epoch == c.epochs &&
         fs::exists(folder / "test" / "report.md");
}

}  // namespace unet3d
