// plan.json, written and read.
#include "tools/plan/plan_file.h"

#include "io/json.h"
#include "io/resampled.h"
#include "runtime/error.h"
#include "tools/model/network_text.h"

namespace unet3d {
namespace {

constexpr const char* kPlanFormat = "unet3d-plan-v1";

// The flags a plan sets, in the order plan.json lists them.
const std::vector<std::string>& plan_flags() {
  static const std::vector<std::string> flags = {
      "mode",         "spacing",    "patch",    "batch",        "depth",
      "kernel-sizes", "pool-sizes", "features", "max-features", "normalization"};
  return flags;
}

std::string gigabytes(double bytes) {
  return concat(bytes / 1e9);
}

}  // namespace

PlanSettings plan_settings(const Plan& p) {
  const UNetConfig& n = p.network;
  return {{"mode", "patch"},
          {"spacing", xyz_text(p.spacing)},
          {"patch", xyz_text(p.patch)},
          {"batch", std::to_string(p.batch)},
          {"depth", std::to_string(n.depth)},
          {"kernel-sizes", kernel_sizes_text(n)},
          {"pool-sizes", pool_sizes_text(n)},
          {"features", std::to_string(n.init_features)},
          {"max-features", n.max_features > 0 ? std::to_string(n.max_features) : "none"},
          {"normalization", normalization_text(p.normalization, n.in_channels)}};
}

std::string plan_json(const Plan& p, const PlanTarget& target, const Fingerprint& f) {
  const PlanSettings settings = plan_settings(p);
  std::string text = concat("{\n  \"format\": ", json::quote(kPlanFormat), ",\n  \"settings\": {");
  for (std::size_t i = 0; i < plan_flags().size(); ++i) {
    const std::string& flag = plan_flags()[i];
    text +=
        concat(i ? ",\n" : "\n", "    ", json::quote(flag), ": ", json::quote(settings.at(flag)));
  }
  text +=
      concat("\n  },\n  \"sized_for\": {\"memory_gb\": ", json::number(target.memory_bytes / 1e9),
             ", \"norm\": ", json::quote(norm_word(target.norm)),
             ", \"deep_supervision\": ", p.network.deep_supervision ? "true" : "false",
             "},\n  \"estimated_step_gb\": ", json::number(p.step_bytes / 1e9),
             ",\n  \"median_shape\": ", json::quote(xyz_text(p.median_shape)),
             ",\n  \"fingerprint\": ", fingerprint_json(f, "  "), "\n}\n");
  return text;
}

PlanSettings read_plan_settings(const std::string& path) {
  const json::Value root = json::parse_file(path);
  const json::Value* format = root.find("format");
  if (format == nullptr || format->text != kPlanFormat)
    throw_error(ErrorKind::data, concat(path, ": not a plan (format ", kPlanFormat, ")"), __FILE__,
                __LINE__);
  const json::Value* settings = root.find("settings");
  if (settings == nullptr || !settings->is(json::Value::Kind::object))
    throw_error(ErrorKind::data, concat(path, ": no \"settings\" object"), __FILE__, __LINE__);
  PlanSettings out;
  for (const json::Member& m : settings->members) {
    bool known = false;
    for (const std::string& flag : plan_flags()) known = known || flag == m.key;
    if (!known || !m.value.is(json::Value::Kind::string))
      throw_error(ErrorKind::data,
                  concat(path, ": setting '", m.key,
                         "' is not a plan's (a string for one of mode, spacing, patch, batch, "
                         "depth, kernel-sizes, pool-sizes, features, max-features, "
                         "normalization)"),
                  __FILE__, __LINE__);
    out[m.key] = m.value.text;
  }
  if (out.count("mode") && out.at("mode") != "patch")
    throw_error(
        ErrorKind::data,
        concat(path, ": setting 'mode' is '", out.at("mode"), "'; a plan is for patch mode"),
        __FILE__, __LINE__);
  return out;
}

std::vector<std::string> plan_summary(const Plan& p, const PlanTarget& target) {
  const PlanSettings s = plan_settings(p);
  std::vector<std::string> lines = {
      concat("plan: spacing ", s.at("spacing"), " mm, median shape there ",
             xyz_text(p.median_shape), " (x,y,z)"),
      concat("plan: patch ", s.at("patch"), ", batch ", p.batch, ", depth ", p.network.depth,
             ", pool sizes ", s.at("pool-sizes"), ", kernel sizes ", s.at("kernel-sizes")),
      concat("plan: features ", s.at("features"), " capped at ", s.at("max-features"),
             ", normalization ", s.at("normalization"), ", a step's memory at most ",
             gigabytes(p.step_bytes), " GB of ", gigabytes(target.memory_bytes), " GB")};
  return lines;
}

}  // namespace unet3d
