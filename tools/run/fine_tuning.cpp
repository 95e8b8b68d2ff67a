// Fine-tuning: the settings a checkpoint fixes, and the tensors taken from it.
#include "tools/run/fine_tuning.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "io/dataset.h"
#include "io/normalization.h"
#include "io/patch_plan.h"
#include "runtime/error.h"
#include "runtime/log.h"
#include "tools/model/checkpoint.h"
#include "tools/model/network_text.h"
#include "tools/run/run_flags.h"

namespace unet3d {
namespace {

// A setting the checkpoint fixes: its flag, the checkpoint's value as the flag writes it, and
// the parsed value a flag's text is compared as ("08" is 8; kernel sizes left out are 3s).
struct FixedSetting {
  const char* flag;
  std::string value;
  std::function<std::string(const RunConfig&)> compared;
};

// `text` through flag `name`'s own check (a usage Error naming the flag where it is malformed),
// into a configuration of which only that flag's field is set.
RunConfig parsed(const std::string& name, const std::string& text) {
  RunConfig c;
  for (const RunFlag& f : run_flags())
    if (name == f.name && f.parse != nullptr) f.parse(f.name, text, c);
  return c;
}

// Kernel or pooling sizes as compared: none given (the defaults) written out for `depth`.
std::string written_out(const std::vector<Grid>& sizes, std::int64_t depth, bool kernels) {
  if (!sizes.empty()) return sizes_text(sizes);
  UNetConfig defaults;
  defaults.depth = depth;
  return kernels ? kernel_sizes_text(defaults) : pool_sizes_text(defaults);
}

std::vector<FixedSetting> fixed_settings(const ModelInfo& m, std::int64_t data_channels) {
  const UNetConfig& n = m.config;
  const auto number = [](std::int64_t RunConfig::*field) {
    return [field](const RunConfig& c) { return concat(c.*field); };
  };
  std::vector<FixedSetting> fixed = {
      {"features", concat(n.init_features), number(&RunConfig::features)},
      {"depth", concat(n.depth), number(&RunConfig::depth)},
      {"kernel-sizes", sizes_text(n.kernel_sizes),
       [d = n.depth](const RunConfig& c) { return written_out(c.kernel_sizes, d, true); }},
      {"pool-sizes", sizes_text(n.pool_sizes),
       [d = n.depth](const RunConfig& c) { return written_out(c.pool_sizes, d, false); }},
      {"max-features", n.max_features > 0 ? concat(n.max_features) : "none",
       number(&RunConfig::max_features)},
      {"norm", norm_word(n.norm), [](const RunConfig& c) { return norm_word(c.norm); }},
      {"deep-supervision", n.deep_supervision ? "true" : "false",
       [](const RunConfig& c) { return c.deep_supervision ? "true" : "false"; }}};
  if (!m.has_metadata) return fixed;  // a plain state_dict's shapes say no more
  fixed.push_back({"activation", activation_word(n.activation),
                   [](const RunConfig& c) { return activation_word(c.activation); }});
  const bool patch = m.mode == InputMode::patch;
  fixed.push_back({"mode", patch ? "patch" : "resize",
                   [](const RunConfig& c) { return c.patch_mode ? "patch" : "resize"; }});
  if (patch) {
    fixed.push_back({"spacing", xyz_text(m.spacing), [](const RunConfig& c) {
                       return c.spacing ? xyz_text(*c.spacing) : std::string();
                     }});
    fixed.push_back({"patch", xyz_text(m.patch), [](const RunConfig& c) {
                       return c.patch ? xyz_text(*c.patch) : std::string();
                     }});
  } else {
    fixed.push_back({"size", concat(m.input_size), number(&RunConfig::size)});
  }
  // Another channel count: the first convolution starts fresh, and so does the normalisation.
  if (data_channels == n.in_channels)
    fixed.push_back({"normalization", normalization_text(m.normalization, data_channels),
                     [data_channels](const RunConfig& c) {
                       return normalization_text(
                           parse_normalization(c.normalization, data_channels, "--normalization"),
                           data_channels);
                     }});
  return fixed;
}

// The new run's input channels: the dataset's, or the phantoms' one.
std::int64_t data_channels(const RunSettings& s) {
  if (s.at("data").empty()) return 1;
  return discover_dataset(s.at("data"), parse_layout(s.at("layout"), "--layout")).channels;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

void take_checkpoint_settings(RunSettings& s, const Flags& flags) {
  const std::string path = s.at("init-from");
  if (path.empty()) return;
  if (s.at("plan") != "none") {
    if (flags.given("plan"))
      throw Error(ErrorKind::usage,
                  concat("--plan ", s.at("plan"), " with --init-from ", path,
                         ": the checkpoint fixes what a plan sets (the network, mode, spacing, "
                         "patch and normalisation); leave --plan out"));
    s["plan"] = "none";  // a preset's: the checkpoint's settings stand in for the plan
  }
  const ModelInfo m = read_model_info(path);
  // A preset's patch-mode values (nnunet's --iters) are not for a resize-mode checkpoint's run.
  if (m.has_metadata && m.mode == InputMode::resize)
    for (const std::string& flag : patch_mode_flags())
      if (!flags.given(flag)) s[flag] = flags.default_value(flag);
  for (const FixedSetting& fixed : fixed_settings(m, data_channels(s))) {
    if (!flags.given(fixed.flag)) {
      s[fixed.flag] = fixed.value;
      continue;
    }
    const std::string& given = s.at(fixed.flag);
    const std::string theirs = fixed.compared(parsed(fixed.flag, fixed.value));
    if (fixed.compared(parsed(fixed.flag, given)) != theirs)
      throw Error(ErrorKind::usage,
                  concat("--", fixed.flag, " ", given, " contradicts --init-from ", path, " (",
                         fixed.flag, " ", fixed.value.empty() ? theirs : fixed.value,
                         "): a fine-tuned run takes the checkpoint's; leave the flag out"));
  }
}

void initialize_from_checkpoint(const std::string& path, UNet3D& net) {
  const TensorMatch match = load_matching_tensors(path, net);
  // A batch count fits any network with BatchNorm: it says nothing of the file.
  if (std::all_of(match.loaded.begin(), match.loaded.end(),
                  [](const std::string& name) { return name.ends_with(".num_batches_tracked"); }))
    throw Error(ErrorKind::usage,
                concat("--init-from ", path, ": none of its weights has the name and shape of ",
                       "one of this network's (not a checkpoint of this network?)"));
  log_info("init-from ", path, ": loaded ", match.loaded.size(), " of ", match.network_tensors(),
           " tensors",
           match.kept_fresh.empty() ? std::string() : "; kept fresh: " + joined(match.kept_fresh));
  log_info("init-from ", path, ": loaded ", joined(match.loaded));
  if (!match.not_used.empty())
    log_info("init-from ", path, ": not used (no such tensor here): ", joined(match.not_used));
  const std::int64_t channels = net.config().in_channels, theirs = match.info.config.in_channels;
  if (channels != theirs)
    log_info("init-from ", path, ": ", channels, " input channel(s) where the checkpoint has ",
             theirs, ": the first convolution starts fresh, and the normalisation is this run's");
}

}  // namespace unet3d
