// The trainer's flags, each declared once: its name, value, help and default (those of
// runtime/shared_flags.h where the flag is shared) and the step that checks its value and puts
// it in a RunConfig. The trainer adds them in this order; parse_run_config reads every setting
// of a run through them, so a flag's default lives here alone.
#pragma once

#include <string>
#include <vector>

#include "runtime/flags.h"
#include "tools/run/run_config.h"

namespace unet3d {

struct RunFlag {
  const char* name;
  // Where the flag is not shared: "" for a switch; its help; its default ("" for none).
  const char* value_name;
  const char* help;
  const char* default_value;
  // Checks the value (a usage error names the flag and the value) and sets it in the config;
  // null for a setting the config does not hold (it stays in config.json).
  void (*parse)(const char* flag, const std::string& value, RunConfig& c);
  bool shared = false;  // name, value, help and default from runtime/shared_flags.h
};

const std::vector<RunFlag>& run_flags();

// The flags that apply to patch mode only, in --help's order.
const std::vector<std::string>& patch_mode_flags();

// Adds every run flag to `flags`, in order.
void add_run_flags(Flags& flags);

// A run flag's value in `settings`, or its default where a run folder written before the flag
// existed has no such key (a switch: "false").
std::string run_setting(const RunSettings& settings, const RunFlag& flag);

}  // namespace unet3d
