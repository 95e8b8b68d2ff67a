// UNet3D checkpoints: layout conversion to and from PyTorch's, metadata, and validation.
#include "tools/model/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

#include "io/resampled.h"
#include "io/safetensors.h"
#include "layers/host_values.h"
#include "runtime/error.h"
#include "tools/model/network_metadata.h"
#include "tools/model/network_text.h"

namespace unet3d {
namespace {

// The original network's files stay unet3d-v1; any §11 setting that differs makes v2, which an
// older reader refuses instead of misreading (docs/formats.md).
constexpr const char* kModelFormat = "unet3d-v1";
constexpr const char* kConfigurableFormat = "unet3d-v2";
constexpr const char* kTrainingFormat = "unet3d-train-v1";

// PyTorch's shape of a parameter: vectors are 1-D; 5-D weights move our last axis to second.
std::vector<std::int64_t> torch_shape(const ParameterSpec& spec) {
  const Shape& s = spec.shape;
  if (spec.layout == ParameterLayout::vector) return {s.c};
  return {s.n, s.c, s.d, s.h, s.w};
}

// Flat index in PyTorch's layout of our element i ([n, d, h, w, c] -> [n, c, d, h, w]).
std::int64_t torch_index(const ParameterSpec& spec, std::int64_t i) {
  if (spec.layout == ParameterLayout::vector) return i;
  const Shape& s = spec.shape;
  const std::int64_t c = i % s.c, w = i / s.c % s.w, h = i / (s.c * s.w) % s.h,
                     d = i / (s.c * s.w * s.h) % s.d, n = i / (s.c * s.w * s.h * s.d);
  return (((n * s.c + c) * s.d + d) * s.h + h) * s.w + w;
}

std::vector<std::string> batchnorm_prefixes(const std::vector<ParameterSpec>& specs) {
  std::vector<std::string> prefixes;
  for (const ParameterSpec& spec : specs) {
    const std::string& name = spec.name;
    const std::string suffix = ".running_var";
    if (name.size() > suffix.size() && name.ends_with(suffix))
      prefixes.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return prefixes;
}

std::vector<char> f32_bytes(const std::vector<double>& values) {
  std::vector<char> bytes(values.size() * 4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto v = static_cast<float>(values[i]);
    std::memcpy(bytes.data() + 4 * i, &v, 4);
  }
  return bytes;
}

std::vector<char> i64_bytes(std::int64_t v) {
  std::vector<char> bytes(8);
  std::memcpy(bytes.data(), &v, 8);
  return bytes;
}

// A tensor's values as doubles, from F32 or F64 little-endian bytes.
std::vector<double> values_of(const StoredTensor& t) {
  const bool f64 = t.dtype == "F64";
  std::vector<double> out(t.bytes.size() / (f64 ? 8 : 4));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (f64) {
      std::memcpy(&out[i], t.bytes.data() + 8 * i, 8);
    } else {
      float v;
      std::memcpy(&v, t.bytes.data() + 4 * i, 4);
      out[i] = v;
    }
  }
  return out;
}

// Parameter i := the file's tensor `t` (its dtype and PyTorch shape checked by the caller).
void copy_parameter(const StoredTensor& t, ParameterStore& params, std::size_t i) {
  const ParameterSpec& spec = params.spec(i);
  const std::vector<double> torch = values_of(t);
  std::vector<double> ours(torch.size());
  for (std::size_t k = 0; k < ours.size(); ++k)
    ours[k] = torch[static_cast<std::size_t>(torch_index(spec, static_cast<std::int64_t>(k)))];
  params.value(i).copy_from(tensor_of_values(ours, spec.shape, params.master_dtype()));
}

std::int64_t i64_of(const StoredTensor& t) {
  std::int64_t v = 0;
  std::memcpy(&v, t.bytes.data(), 8);
  return v;
}

// "[3,32,1,1,1]", as the log lists a tensor's shape.
std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text;
  for (const std::int64_t d : shape) text += concat(text.empty() ? "" : ",", d);
  return "[" + text + "]";
}

ModelInfo info_of(const SafetensorsFile& file, const std::string& path) {
  ModelInfo info;
  info.has_metadata = file.has_metadata && file.metadata.count("format") > 0;
  if (info.has_metadata) {
    const std::string& format = file.metadata.at("format");
    if (format != kModelFormat && format != kConfigurableFormat)
      throw_error(ErrorKind::data,
                  concat(path, ": format '", format, "', expected ", kModelFormat, " or ",
                         kConfigurableFormat),
                  __FILE__, __LINE__);
    info.config = {
        file.metadata_integer("in_channels", path), file.metadata_integer("num_classes", path),
        file.metadata_integer("init_features", path), file.metadata_integer("depth", path)};
    read_network_metadata(file, path, info.config, info.normalization);
    if (format == kModelFormat && !is_original_model(info.config, info.normalization))
      throw_error(ErrorKind::data,
                  concat(path, ": format ", kModelFormat, " with settings of the configurable ",
                         "network (", kConfigurableFormat, ")"),
                  __FILE__, __LINE__);
    const auto mode = file.metadata.find("mode");
    if (mode != file.metadata.end() && mode->second == "patch") {
      info.mode = InputMode::patch;
      for (const char* key : {"spacing", "patch_size"})
        if (!file.metadata.count(key))
          throw_error(ErrorKind::data, concat(path, ": patch-mode metadata lacks '", key, "'"),
                      __FILE__, __LINE__);
      info.spacing = spacing_of_xyz(file.metadata.at("spacing"), path + ": metadata 'spacing'");
      info.patch = grid_of_xyz(file.metadata.at("patch_size"), path + ": metadata 'patch_size'");
    } else if (mode != file.metadata.end() && mode->second != "resize") {
      throw_error(ErrorKind::data,
                  concat(path, ": metadata 'mode' = '", mode->second, "' (resize or patch)"),
                  __FILE__, __LINE__);
    } else {
      info.input_size = file.metadata_integer("input_size", path);
    }
    info.epoch = file.metadata_integer("epoch", path);
    info.step = file.metadata_integer("step", path);
    const auto names = file.metadata.find("class_names");
    if (names != file.metadata.end()) {
      std::istringstream in(names->second);
      for (std::string name; std::getline(in, name, ',');) info.class_names.push_back(name);
    }
    return info;
  }
  // A plain state_dict: the configuration is in the shapes.
  const StoredTensor& first = file.require("enc1.conv1.weight", path);
  const StoredTensor& head = file.require("head.weight", path);
  if (first.shape.size() != 5 || head.shape.size() != 5)
    throw_error(ErrorKind::data, concat(path, ": enc1.conv1.weight or head.weight is not 5-D"),
                __FILE__, __LINE__);
  info.config.in_channels = first.shape[1];
  info.config.init_features = first.shape[0];
  info.config.num_classes = head.shape[0];
  info.config.depth = 0;
  while (file.find(concat("enc", info.config.depth + 1, ".conv1.weight"))) ++info.config.depth;
  read_network_shapes(file, path, info.config);
  return info;
}

void check_matches(const ModelInfo& info, const UNet3D& net, const std::string& path) {
  const UNetConfig& want = net.config();
  const UNetConfig& got = info.config;
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"in_channels", {concat(got.in_channels), concat(want.in_channels)}},
      {"num_classes", {concat(got.num_classes), concat(want.num_classes)}},
      {"init_features", {concat(got.init_features), concat(want.init_features)}},
      {"depth", {concat(got.depth), concat(want.depth)}},
      {"kernel_sizes", {kernel_sizes_text(got), kernel_sizes_text(want)}},
      {"pool_sizes", {pool_sizes_text(got), pool_sizes_text(want)}},
      {"features of the bottleneck (max_features)",
       {concat(got.features(got.depth + 1)), concat(want.features(want.depth + 1))}},
      {"norm", {norm_word(got.norm), norm_word(want.norm)}},
      {"activation", {activation_word(got.activation), activation_word(want.activation)}},
      {"deep_supervision",
       {got.deep_supervision ? "true" : "false", want.deep_supervision ? "true" : "false"}}};
  for (const auto& [key, values] : fields) {
    // A state_dict holds no activation: the run's (predict --activation) is taken.
    if (std::string(key) == "activation" && !info.has_metadata) continue;
    UNET3D_USAGE_CHECK(values.first == values.second, path, ": the checkpoint has ", key, " ",
                       values.first, ", this run ", values.second);
  }
  // The input grid: a plain state_dict does not say it.
  const Grid grid = info.mode == InputMode::patch ? info.patch
                    : info.input_size > 0         ? Grid::cube(info.input_size)
                                                  : net.grid();
  UNET3D_USAGE_CHECK(grid == net.grid(), path, ": the checkpoint's input is ", xyz_text(grid),
                     " (x,y,z), this run's ", xyz_text(net.grid()));
}

}  // namespace

std::map<std::string, std::string> network_metadata(const UNetConfig& c,
                                                    const Normalization& normalization) {
  std::map<std::string, std::string> metadata = {
      {"format", is_original_model(c, normalization) ? kModelFormat : kConfigurableFormat},
      {"in_channels", std::to_string(c.in_channels)},
      {"num_classes", std::to_string(c.num_classes)},
      {"init_features", std::to_string(c.init_features)},
      {"depth", std::to_string(c.depth)}};
  write_network_metadata(c, normalization, metadata);
  return metadata;
}

void save_model(const std::string& path, UNet3D& net, const ModelInfo& info) {
  ParameterStore& params = net.parameters();
  SafetensorsFile file;
  file.metadata = network_metadata(net.config(), info.normalization);
  file.metadata["epoch"] = std::to_string(info.epoch);
  file.metadata["step"] = std::to_string(info.step);
  if (info.mode == InputMode::patch) {
    file.metadata["mode"] = "patch";
    file.metadata["spacing"] = xyz_text(info.spacing);
    file.metadata["patch_size"] = xyz_text(net.grid());
  } else {
    file.metadata["mode"] = "resize";
    file.metadata["input_size"] = std::to_string(net.size());
  }
  if (!info.class_names.empty()) {
    std::string names;
    for (const std::string& n : info.class_names) names += (names.empty() ? "" : ",") + n;
    file.metadata["class_names"] = names;
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ParameterSpec& spec = params.spec(i);
    const std::vector<double> ours = host_values(params.value(i));
    std::vector<double> torch(ours.size());
    for (std::size_t k = 0; k < ours.size(); ++k)
      torch[static_cast<std::size_t>(torch_index(spec, static_cast<std::int64_t>(k)))] = ours[k];
    file.tensors.push_back({spec.name, "F32", torch_shape(spec), f32_bytes(torch)});
    if (spec.name.ends_with(".running_var")) {
      const std::string prefix = spec.name.substr(0, spec.name.size() - 12);
      file.tensors.push_back(
          {prefix + ".num_batches_tracked", "I64", {}, i64_bytes(net.batches_tracked())});
    }
  }
  write_safetensors(path, file);
}

ModelInfo read_model_info(const std::string& path) {
  return info_of(read_safetensors(path), path);
}

ModelInfo read_model_info(const SafetensorsFile& file, const std::string& path) {
  return info_of(file, path);
}

void check_model_tensors(const SafetensorsFile& file, const std::string& path,
                         const std::vector<ParameterSpec>& specs) {
  std::set<std::string> expected;
  for (const ParameterSpec& spec : specs) expected.insert(spec.name);
  for (const std::string& prefix : batchnorm_prefixes(specs))
    expected.insert(prefix + ".num_batches_tracked");
  for (const StoredTensor& t : file.tensors)
    if (!expected.count(t.name))
      throw_error(ErrorKind::data, concat(path, ": unexpected tensor '", t.name, "'"), __FILE__,
                  __LINE__);

  for (const ParameterSpec& spec : specs) {
    const StoredTensor& t = file.require(spec.name, path);
    if (t.dtype != "F32" || t.shape != torch_shape(spec)) {
      std::string want;
      for (std::int64_t d : torch_shape(spec)) want += concat(want.empty() ? "" : ", ", d);
      std::string got;
      for (std::int64_t d : t.shape) got += concat(got.empty() ? "" : ", ", d);
      throw_error(ErrorKind::data,
                  concat(path, ": tensor '", spec.name, "' is ", t.dtype, " [", got,
                         "], expected F32 [", want, "]"),
                  __FILE__, __LINE__);
    }
  }
  for (const std::string& prefix : batchnorm_prefixes(specs)) {
    const std::string name = prefix + ".num_batches_tracked";
    const StoredTensor& t = file.require(name, path);
    if (t.dtype != "I64" || !t.shape.empty())
      throw_error(ErrorKind::data, concat(path, ": tensor '", name, "' should be an I64 scalar"),
                  __FILE__, __LINE__);
  }
}

ModelInfo load_model(const std::string& path, UNet3D& net) {
  const SafetensorsFile file = read_safetensors(path);
  const ModelInfo info = info_of(file, path);
  check_matches(info, net, path);
  ParameterStore& params = net.parameters();
  std::vector<ParameterSpec> specs;
  for (std::size_t i = 0; i < params.size(); ++i) specs.push_back(params.spec(i));
  check_model_tensors(file, path, specs);

  for (std::size_t i = 0; i < params.size(); ++i)
    copy_parameter(file.require(params.spec(i).name, path), params, i);
  for (const std::string& prefix : batchnorm_prefixes(specs))
    net.set_batches_tracked(i64_of(file.require(prefix + ".num_batches_tracked", path)));
  params.refresh_half_copies();
  return info;
}

TensorMatch load_matching_tensors(const std::string& path, UNet3D& net) {
  const SafetensorsFile file = read_safetensors(path);
  TensorMatch match{info_of(file, path), {}, {}, {}};
  std::set<std::string> seen;
  // The file's tensor `name` where it has this dtype and shape; else null, and said why.
  const auto fitting = [&](const std::string& name, const char* dtype,
                           const std::vector<std::int64_t>& shape) -> const StoredTensor* {
    const StoredTensor* t = file.find(name);
    if (t != nullptr) seen.insert(name);
    if (t != nullptr && t->dtype == dtype && t->shape == shape) {
      match.loaded.push_back(name);
      return t;
    }
    match.kept_fresh.push_back(concat(
        name, " ", shape_text(shape), " (",
        t == nullptr
            ? std::string("not in the checkpoint")
            : concat("checkpoint ", t->dtype == dtype ? "" : t->dtype + " ", shape_text(t->shape)),
        ")"));
    return nullptr;
  };
  ParameterStore& params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {  // in save_model's order
    const ParameterSpec& spec = params.spec(i);
    if (const StoredTensor* t = fitting(spec.name, "F32", torch_shape(spec)))
      copy_parameter(*t, params, i);
    if (!spec.name.ends_with(".running_var")) continue;
    const std::string tracked = spec.name.substr(0, spec.name.size() - 12) + ".num_batches_tracked";
    if (const StoredTensor* t = fitting(tracked, "I64", {})) net.set_batches_tracked(i64_of(*t));
  }
  for (const StoredTensor& t : file.tensors)
    if (!seen.count(t.name)) match.not_used.push_back(concat(t.name, " ", shape_text(t.shape)));
  params.refresh_half_copies();
  return match;
}

void save_training_state(const std::string& path, Optimizer& optimizer, LossScaler& scaler,
                         const TrainingState& state) {
  SafetensorsFile file;
  char scale[32];
  std::snprintf(scale, sizeof scale, "%.17g", scaler.scale());
  file.metadata = {{"format", kTrainingFormat},
                   {"step", std::to_string(state.step)},
                   {"optimizer", optimizer_word(optimizer.options().kind)},
                   {"adam_steps", std::to_string(optimizer.steps())},  // every optimizer's count
                   {"loss_scale", scale},
                   {"growth_tracker", std::to_string(scaler.growth_tracker())},
                   {"skipped_steps", std::to_string(scaler.skipped_steps())}};
  for (const auto& [key, value] : state.extra) file.metadata["trainer." + key] = value;
  for (const auto& [name, moment] : optimizer.state()) {
    const Tensor host = moment->to(Device::cpu);
    std::vector<char> bytes(host.bytes());
    std::memcpy(bytes.data(), host.data(), bytes.size());
    file.tensors.push_back(
        {name, host.dtype() == DType::f64 ? "F64" : "F32", {host.numel()}, std::move(bytes)});
  }
  write_safetensors(path, file);
}

TrainingState load_training_state(const std::string& path, Optimizer& optimizer, LossScaler& scaler,
                                  std::int64_t expected_step) {
  const SafetensorsFile file = read_safetensors(path);
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != kTrainingFormat)
    throw_error(ErrorKind::data,
                concat(path, ": not a training-state file (format ", kTrainingFormat, ")"),
                __FILE__, __LINE__);
  TrainingState state;
  state.step = file.metadata_integer("step", path);
  if (state.step != expected_step)
    throw_error(ErrorKind::data,
                concat(path, ": training state of step ", state.step,
                       ", but the model file beside it is at step ", expected_step),
                __FILE__, __LINE__);
  // A file without `optimizer` is Adam's (written before the others existed).
  const auto kind = file.metadata.find("optimizer");
  const std::string saved = kind == file.metadata.end() ? "adam" : kind->second;
  if (saved != optimizer_word(optimizer.options().kind))
    throw_error(ErrorKind::data,
                concat(path, ": the state of optimizer ", saved, ", but this run uses ",
                       optimizer_word(optimizer.options().kind)),
                __FILE__, __LINE__);
  for (const auto& [name, moment] : optimizer.state()) {
    const StoredTensor& t = file.require(name, path);
    const std::string want = moment->dtype() == DType::f64 ? "F64" : "F32";
    if (t.dtype != want || t.shape != std::vector<std::int64_t>{moment->numel()})
      throw_error(ErrorKind::data,
                  concat(path, ": tensor '", name, "' does not fit this model's ", moment->numel(),
                         " ", want, " values"),
                  __FILE__, __LINE__);
    Tensor host(moment->shape(), moment->dtype(), Device::cpu);
    std::memcpy(host.data(), t.bytes.data(), t.bytes.size());
    moment->copy_from(host);
  }
  optimizer.set_steps(file.metadata_integer("adam_steps", path));
  const auto scale = file.metadata.find("loss_scale");
  double loss_scale = 0;
  if (scale == file.metadata.end() || !(std::istringstream(scale->second) >> loss_scale) ||
      loss_scale <= 0)
    throw_error(ErrorKind::data, concat(path, ": metadata 'loss_scale' is missing or invalid"),
                __FILE__, __LINE__);
  scaler.restore(loss_scale, file.metadata_integer("growth_tracker", path),
                 file.metadata_integer("skipped_steps", path));
  for (const auto& [key, value] : file.metadata)
    if (key.starts_with("trainer.")) state.extra[key.substr(8)] = value;
  return state;
}

}  // namespace unet3d
