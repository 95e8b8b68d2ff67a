// The test phase of a training run.
#include "tools/run/test_phase.h"

#include <csignal>
#include <functional>

#include "runtime/log.h"
#include "tools/model/checkpoint.h"
#include "tools/report/pictures.h"
#include "tools/report/report.h"

namespace unet3d {
namespace fs = std::filesystem;

void run_test_phase(Training& t, const RunData& data, const PreprocessedDataset& resident,
                    const std::vector<std::size_t>& test, const fs::path& out, const RunConfig& c,
                    bool writes) {
  const fs::path best =
      fs::exists(out / "best.safetensors") ? out / "best.safetensors" : out / "last.safetensors";
  if (c.interrupt_during == "test") std::raise(SIGINT);
  t.evaluator.stop_when_interrupted("the test phase");
  t.window_evaluator.stop_when_interrupted("the test phase");
  // Every rank scores the test set with rank 0's best weights (the same numbers); rank 0
  // writes the report.
  ModelInfo tested;
  if (writes) tested = load_model(best.string(), t.net);
  t.averager.broadcast_parameters();
  log_info("test set: ", test.size(), " cases, with ", best.filename().string());
  CaseScoreTable scores(data.class_names(), c.nsd_tolerance_mm);
  DiceTable network, native;
  std::function<std::vector<std::uint8_t>(std::size_t)> prediction;  // by test index
  std::vector<std::vector<std::uint8_t>> predictions;
  if (data.patch_mode) {
    WindowEvaluator::TestTables tables =
        t.window_evaluator.evaluate_native(data.resampled, test, data.native_labels, scores);
    network = std::move(tables.resampled), native = std::move(tables.native);
    predictions = std::move(tables.native_predictions);
    prediction = [&](std::size_t v) { return predictions[v]; };
  } else {
    network = t.evaluator.evaluate(resident, test, nullptr);
    native = t.evaluator.evaluate_native(resident, test, data.native_labels, &scores);
    prediction = [&](std::size_t v) { return t.evaluator.native_prediction(resident, test[v]); };
  }
  if (!writes) return;
  // The pictures first: report.md is a run's last file, which tells a finished run.
  write_visualisations(out / "test", scores, [&](std::size_t v) {
    const std::size_t i = test[v];
    const NiftiGeometry& g = data.cases()[i].geometry;
    return VolumeSlices{grid_of(g), data.native_image(i), data.native_labels(i), prediction(v),
                        picture_orientation(g)};
  });
  write_test_report(out / "test", network, native, scores, tested.epoch, best.filename().string());
  const char* network_grid =
      data.patch_mode ? "Test Dice at the target spacing" : "Test Dice at the network's resolution";
  log_info(dice_table_text(network_grid, network));
  log_info(dice_table_text("Test Dice at native resolution", native));
  log_info(scores.summary_text("Test scores per class at native resolution"));
}

}  // namespace unet3d
