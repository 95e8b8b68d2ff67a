// Reading and writing the last checkpoint with the run's position.
#include "tools/run_position.h"

#include <iomanip>
#include <string>

#include "tools/checkpoint.h"

namespace unet3d {

Position read_last_checkpoint(const std::filesystem::path& folder, Training& t) {
  const ModelInfo info = load_model((folder / "last.safetensors").string(), t.net);
  const TrainingState state = load_training_state((folder / "last.train.safetensors").string(),
                                                  t.optimizer, t.scaler, info.step);
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

void write_last_checkpoint(const std::filesystem::path& folder, Training& t, const Position& p,
                           std::int64_t epoch, std::int64_t at, double seconds) {
  Position saved = p;
  saved.epoch = epoch;
  save_model((folder / "last.safetensors").string(), t.net,
             t.info(saved.epoch, saved.optimizer_steps));
  const auto exact = [](double v) { return concat(std::setprecision(17), v); };
  save_training_state((folder / "last.train.safetensors").string(), t.optimizer, t.scaler,
                      {p.optimizer_steps,
                       {{"epoch", std::to_string(epoch)},
                        {"position", std::to_string(at)},
                        {"train_loss_sum", exact(p.loss_sum)},
                        {"train_micro_batches", std::to_string(p.micro_batches)},
                        {"best_dice", exact(p.best_dice)},
                        {"epoch_seconds", exact(seconds)}}});
}

}  // namespace unet3d
