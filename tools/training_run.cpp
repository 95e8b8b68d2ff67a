// A training run: data, split, epochs, validation, checkpoints, interruption and the test report.
#include "tools/training_run.h"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "io/checkpoint.h"
#include "io/json.h"
#include "io/phantom.h"
#include "io/split.h"
#include "kernels/flip.h"
#include "kernels/metrics.h"
#include "layers/conv3d.h"
#include "layers/conv_algorithm.h"
#include "runtime/log.h"
#include "runtime/rng.h"
#include "tools/evaluate.h"
#include "tools/pictures.h"
#include "tools/report.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace fs = std::filesystem;
namespace {

std::atomic<int> pending_signal{0};
extern "C" void remember_signal(int signal) {
  pending_signal = signal;
}

std::int64_t integer(const RunSettings& s, const std::string& key) {
  return std::stoll(s.at(key));
}
double number(const RunSettings& s, const std::string& key) {
  return std::stod(s.at(key));
}

struct RunData {
  PreprocessedDataset host;
  std::function<std::vector<std::uint8_t>(std::size_t)> native_labels;
};

RunData load_data(const RunSettings& s, Device work) {
  const int classes = s.at("classes") == "auto" ? 0 : static_cast<int>(integer(s, "classes"));
  const std::int64_t size = integer(s, "size");
  RunData d;
  if (!s.at("data").empty()) {
    const DatasetIndex index =
        discover_dataset(s.at("data"), parse_layout(s.at("layout"), "--layout"));
    for (const std::string& path : index.unmatched) log_warn("no image/label partner for ", path);
    PreprocessReport report;
    d.host = preprocess_dataset(index, size, classes, work,
                                {s.at("no-cache") != "true", s.at("cache")}, &report);
    log_info(d.host.cases.size(), " cases from ", s.at("data"),
             (report.from_cache ? ", loaded from the cache " : ", preprocessed "), "in ",
             report.seconds, " s");
    // The paths, copied: the labels are read again at the end, for native-resolution scores.
    std::vector<CasePaths> paths;
    for (const CaseInfo& c : d.host.cases)
      paths.push_back({c.name, c.patient, c.image_path, c.label_path});
    const int classes_found = d.host.num_classes;
    d.native_labels = [paths, classes_found](std::size_t i) {
      return load_case(paths[i], classes_found).labels;
    };
    return d;
  }
  // No data: phantoms generated in memory, the same generator as make_phantoms.
  const std::vector<std::int64_t> grid = [&] {
    std::vector<std::int64_t> g;
    std::istringstream in(s.at("phantom-size"));
    for (std::string part; std::getline(in, part, ',');) g.push_back(std::stoll(part));
    if (g.size() == 1) g = {g[0], g[0], g[0]};
    return g;
  }();
  const auto seed = static_cast<std::uint64_t>(integer(s, "seed"));
  const std::vector<PhantomCase> phantoms =
      phantom_cases(static_cast<int>(integer(s, "phantoms")), seed);
  std::vector<CaseInfo> infos;
  for (const PhantomCase& p : phantoms)
    infos.push_back({p.name(), p.name().substr(0, 8), "", "", {}});
  const auto make = [phantoms, grid, seed](std::size_t i) {
    return make_phantom(phantoms[i], grid[0], grid[1], grid[2], seed);
  };
  d.host = preprocess_cases(
      infos,
      [&](std::size_t i) {
        Phantom p = make(i);
        LoadedCase c;
        c.image.geometry = p.geometry;
        c.image.values.assign(p.image.begin(), p.image.end());
        c.labels = std::move(p.labels);
        return c;
      },
      size, classes > 0 ? classes : 6, hipmri_class_names(), work);
  log_info(phantoms.size(), " phantom cases of ", grid[0], "x", grid[1], "x", grid[2],
           " generated in memory");
  d.native_labels = [make](std::size_t i) { return make(i).labels; };
  return d;
}

// The epoch's order of training cases: Fisher-Yates with a stream of its own per epoch, so a
// resumed run redraws the very same order.
std::vector<std::size_t> epoch_order(std::vector<std::size_t> cases, std::uint64_t seed,
                                     std::int64_t epoch) {
  Rng rng(seed * 1000003 + static_cast<std::uint64_t>(epoch) + 1);
  for (std::size_t i = cases.size(); i > 1; --i) std::swap(cases[i - 1], cases[rng.below(i)]);
  return cases;
}

std::string csv_header(const std::vector<std::string>& classes) {
  std::string h = "epoch,train_loss,val_loss";
  for (const std::string& c : classes) h += ",val_dice_" + c;
  return h + ",val_dice_mean,lr,loss_scale,seconds,voxels_per_s";
}

std::string value_or_empty(double v, bool present) {
  if (!present || std::isnan(v)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", v);
  return buffer;
}

void write_config(const fs::path& path, const RunSettings& s, const std::string& command_line,
                  Device device) {
  std::ofstream out(path);
  out << "{\n  \"version\": " << json::quote(kVersion)
      << ",\n  \"commit\": " << json::quote(kCommit)
      << ",\n  \"command_line\": " << json::quote(command_line)
      << ",\n  \"device\": " << json::quote(describe_device(device)) << ",\n  \"settings\": {";
  bool first = true;
  for (const auto& [key, value] : s) {
    out << (first ? "\n" : ",\n") << "    " << json::quote(key) << ": " << json::quote(value);
    first = false;
  }
  out << "\n  }\n}\n";
  if (!out) throw Error(ErrorKind::runtime, concat("cannot write ", path.string()));
}

}  // namespace

int run_training(const RunSettings& s, const std::string& command_line, bool resuming) {
  const fs::path out = s.at("out");
  fs::create_directories(out);
  if (!resuming && fs::exists(out / "last.safetensors"))
    throw Error(ErrorKind::usage,
                concat("--out ", out.string(), " already holds a run (resume it with --resume ",
                       out.string(), ", or choose another folder)"));
  set_log_file((out / "train.log").string());
  const Device device = parse_device(s.at("device"));
  if (integer(s, "threads") > 0) omp_set_num_threads(static_cast<int>(integer(s, "threads")));
  set_deterministic_convolutions(s.at("deterministic") == "true");
  const std::string precision_word =
      s.at("precision") == "auto" ? (device == Device::cuda ? "fp16" : "fp32") : s.at("precision");
  const Precision precision = precision_word == "fp16" ? Precision::f16 : Precision::f32;
  // Before the data is loaded, which may take a while.
  if (precision == Precision::f16 && device != Device::cuda)
    throw Error(ErrorKind::usage,
                "--precision fp16 (mixed precision) needs the CUDA backend; use fp32 on the CPU");
  log_info("unet3d trainer ", kVersion, " (", kCommit, ")");
  log_info("command line: ", command_line);
  log_info("device: ", describe_device(device), ", precision ", precision_word);
  for (const auto& [key, value] : s) log_info("  --", key, " ", value.empty() ? "(none)" : value);
  RunData data = load_data(s, device);
  const PreprocessedDataset& host = data.host;
  if (!resuming) {  // config.json holds what "auto" resolved to
    RunSettings resolved = s;
    resolved["device"] = device_name(device);
    resolved["precision"] = precision_word;
    resolved["classes"] = std::to_string(host.num_classes);
    write_config(out / "config.json", resolved, command_line, device);
  }
  const std::string split_file =
      s.at("split").empty() ? (resuming ? (out / "split.json").string() : "") : s.at("split");
  const Split split =
      split_file.empty()
          ? split_by_patient(host.cases, static_cast<std::uint64_t>(integer(s, "seed")))
          : read_split(split_file, host.cases);
  write_split((out / "split.json").string(), split);
  const std::vector<std::size_t> train = case_indices(host.cases, split.train);
  const std::vector<std::size_t> val = case_indices(host.cases, split.val);
  const std::vector<std::size_t> test = case_indices(host.cases, split.test);
  log_info("split: ", train.size(), " training, ", val.size(), " validation, ", test.size(),
           " test cases");

  const std::int64_t batch = integer(s, "batch"), accum = integer(s, "accum"),
                     epochs = integer(s, "epochs");
  if (static_cast<std::int64_t>(train.size()) < batch)
    throw Error(ErrorKind::usage,
                concat("--batch ", batch, " exceeds the ", train.size(), " training cases"));
  const UNetConfig config{1, host.num_classes, integer(s, "features"), integer(s, "depth")};
  UNet3D net(config, device, precision, batch, host.size);
  log_info("network: ", net.parameters().parameter_count(),
           " parameters; activations, gradients and saved statistics ",
           static_cast<double>(net.planned_bytes()) / 1e6, " MB, planned once");
  net.parameters().initialize(static_cast<std::uint64_t>(integer(s, "seed")));
  Adam adam(net.parameters(), {number(s, "lr"), 0.9, 0.999, 1e-8, number(s, "weight-decay")});
  LossScaler scaler(precision == Precision::f16);
  const std::string loss_word = s.at("loss");
  const LossKind kind = loss_word == "ce"         ? LossKind::ce
                        : loss_word == "wce"      ? LossKind::wce
                        : loss_word == "combined" ? LossKind::combined
                                                  : LossKind::dice;
  std::vector<double> weights = weighted_ce_weights(class_voxel_counts(host, train));
  Tensor weight_tensor(Shape::vector(host.num_classes), master_dtype(precision));
  for (std::size_t c = 0; c < weights.size(); ++c)
    weight_tensor.data_as<float>()[c] = static_cast<float>(weights[c]);
  const Tensor class_weights = weight_tensor.to(device);
  TrainingStep step(
      net, adam, scaler,
      {kind, s.at("dice-exclude-background") == "true", number(s, "alpha"), number(s, "beta")},
      &class_weights, static_cast<int>(accum));
  Evaluator evaluator(net, step);
  const PreprocessedDataset resident = host.to(device, activation_dtype(precision));

  // Where to start: a fresh run, or the position a previous run stopped at.
  std::int64_t first_epoch = 0, position = 0, optimizer_steps = 0;
  double loss_sum = 0, best_dice = -1, seconds_so_far = 0;
  std::int64_t micro_batches = 0;
  if (resuming) {
    const ModelInfo info = load_model((out / "last.safetensors").string(), net);
    const TrainingState state =
        load_training_state((out / "last.train.safetensors").string(), adam, scaler, info.step);
    first_epoch = std::stoll(state.extra.at("epoch"));
    position = std::stoll(state.extra.at("position"));
    optimizer_steps = info.step;
    loss_sum = std::stod(state.extra.at("train_loss_sum"));
    micro_batches = std::stoll(state.extra.at("train_micro_batches"));
    best_dice = std::stod(state.extra.at("best_dice"));
    seconds_so_far = std::stod(state.extra.at("epoch_seconds"));
    log_info("resuming at epoch ", first_epoch + 1, ", micro-batch ", position);
  } else {
    std::ofstream(out / "metrics.csv") << csv_header(host.class_names) << "\n";
  }

  const auto save_last = [&](std::int64_t epoch, std::int64_t at, double seconds) {
    const ModelInfo info{config, host.size, epoch, optimizer_steps, host.class_names, true};
    save_model((out / "last.safetensors").string(), net, info);
    save_training_state((out / "last.train.safetensors").string(), adam, scaler,
                        {optimizer_steps,
                         {{"epoch", std::to_string(epoch)},
                          {"position", std::to_string(at)},
                          {"train_loss_sum", concat(std::setprecision(17), loss_sum)},
                          {"train_micro_batches", std::to_string(micro_batches)},
                          {"best_dice", concat(std::setprecision(17), best_dice)},
                          {"epoch_seconds", concat(std::setprecision(17), seconds)}}});
  };

  pending_signal = 0;
  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  const std::int64_t interrupt_after = integer(s, "interrupt-after");
  const bool augment = s.at("augment") == "flip";
  const auto seed = static_cast<std::uint64_t>(integer(s, "seed"));
  const std::int64_t per_epoch = static_cast<std::int64_t>(train.size()) / batch;
  const double voxels_per_volume = static_cast<double>(host.size * host.size * host.size);
  Tensor input = net.input(), labels = step.labels();
  bool planned = false;

  for (std::int64_t epoch = first_epoch; epoch < epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::size_t> order = epoch_order(train, seed, epoch);
    ProgressBar bar(concat("epoch ", epoch + 1, "/", epochs), per_epoch);
    bar.advance(position);
    for (std::int64_t k = position; k < per_epoch; ++k) {
      for (std::int64_t b = 0; b < batch; ++b) {
        const std::size_t c = order[static_cast<std::size_t>(k * batch + b)];
        Rng flips(seed ^ (static_cast<std::uint64_t>(epoch) << 40) ^
                  static_cast<std::uint64_t>(k * batch + b));
        Tensor image_slot = input.item(b), label_slot = labels.item(b);
        copy_case(resident, c, image_slot, label_slot, augment ? random_flip_axes(flips) : 0);
      }
      loss_sum += step.micro_batch();
      ++micro_batches;
      if (const std::string planning = conv_planning_report(); !planning.empty() && !planned) {
        log_info(planning);  // every convolution has now run in each direction
        planned = true;
      }
      const double elapsed =
          seconds_so_far +
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      bar.advance(1,
                  concat("loss ", loss_sum / static_cast<double>(micro_batches), "  ",
                         static_cast<double>((k + 1) * batch) / std::max(elapsed, 1e-9), " vol/s"));
      if ((k + 1) % accum == 0 || k + 1 == per_epoch) {
        if (step.apply()) ++optimizer_steps;  // a step skipped for inf/NaN is not taken
        if (interrupt_after > 0 && optimizer_steps == interrupt_after) std::raise(SIGINT);
        if (pending_signal != 0) {
          bar.finish();
          save_last(epoch, k + 1, elapsed);
          const int code = pending_signal == SIGTERM ? 143 : 130;
          log_info("interrupted (", pending_signal == SIGTERM ? "SIGTERM" : "SIGINT", ") in epoch ",
                   epoch + 1, " after micro-batch ", k + 1,
                   "; checkpoint written. Resume with: trainer --resume ", out.string());
          close_log_file();
          return code;
        }
      }
    }
    bar.finish();
    const double seconds =
        seconds_so_far +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double train_loss =
        micro_batches > 0 ? loss_sum / static_cast<double>(micro_batches) : NAN;

    const bool validate =
        !val.empty() && ((epoch + 1) % integer(s, "val-every") == 0 || epoch + 1 == epochs);
    double val_loss = NAN;
    DiceTable dice;
    if (validate) dice = evaluator.evaluate(resident, val, &val_loss);
    std::string row = concat(epoch + 1, ",", value_or_empty(train_loss, true), ",",
                             value_or_empty(val_loss, validate));
    for (std::size_t c = 0; c < host.class_names.size(); ++c)
      row += "," + value_or_empty(validate ? dice.per_class[c] : NAN, validate);
    row += concat(
        ",", value_or_empty(dice.average, validate), ",", number(s, "lr"), ",", scaler.scale(), ",",
        value_or_empty(seconds, true), ",",
        value_or_empty(static_cast<double>(per_epoch * batch) * voxels_per_volume / seconds, true));
    std::ofstream(out / "metrics.csv", std::ios::app) << row << "\n";
    plot_metrics(out, host.class_names);
    log_info(epoch_summary(epoch + 1, epochs, train_loss, validate ? &dice : nullptr, val_loss,
                           seconds));
    if (validate && dice.average > best_dice) {
      best_dice = dice.average;
      save_model((out / "best.safetensors").string(), net,
                 {config, host.size, epoch + 1, optimizer_steps, host.class_names, true});
    }
    position = 0, loss_sum = 0, micro_batches = 0, seconds_so_far = 0;
    save_last(epoch + 1, 0, 0);
    if (pending_signal != 0 && epoch + 1 < epochs) {  // arrived during validation or saving
      log_info("interrupted after epoch ", epoch + 1,
               "; checkpoint written. Resume with: trainer --resume ", out.string());
      close_log_file();
      return pending_signal == SIGTERM ? 143 : 130;
    }
  }

  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!test.empty()) {
    const fs::path best =
        fs::exists(out / "best.safetensors") ? out / "best.safetensors" : out / "last.safetensors";
    const ModelInfo tested = load_model(best.string(), net);
    log_info("test set: ", test.size(), " cases, with ", best.filename().string());
    const DiceTable network = evaluator.evaluate(resident, test, nullptr);
    const DiceTable native = evaluator.evaluate_native(resident, test, data.native_labels);
    write_test_report(out / "test", network, native, tested.epoch, best.filename().string());
    Tensor prediction(input.shape().with_channels(1), DType::u8, device);
    write_visualisations(out / "test", network, [&](std::size_t v) {
      const std::size_t c = test[v];
      for (std::int64_t b = 0; b < batch; ++b) {
        Tensor image_slot = input.item(b), label_slot = labels.item(b);
        copy_case(resident, c, image_slot, label_slot, 0);
      }
      argmax_channels(net.forward(false), prediction);
      VolumeSlices slices;
      slices.size = host.size;
      const Tensor image = host.image(c), truth = host.label(c),
                   predicted = prediction.item(0).to(Device::cpu);
      slices.image.assign(image.data_as<float>(), image.data_as<float>() + image.numel());
      slices.truth.assign(truth.data_as<std::uint8_t>(),
                          truth.data_as<std::uint8_t>() + truth.numel());
      slices.prediction.assign(predicted.data_as<std::uint8_t>(),
                               predicted.data_as<std::uint8_t>() + predicted.numel());
      return slices;
    });
    log_info(dice_table_text("Test Dice at the network's resolution", network));
    log_info(dice_table_text("Test Dice at native resolution", native));
  }
  close_log_file();
  return 0;
}

}  // namespace unet3d
