// The flags several programs take, each defined here once, so that a flag name has one meaning
// and one default in every program's --help (docs/cli.md, Conventions). A program adds the ones
// it takes with add_shared_flags; tests compare every program's --help with this table.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "runtime/flags.h"

namespace unet3d {

struct SharedFlag {
  const char* name;
  const char* value_name;  // "" for a switch
  const char* help;
  const char* default_value;
};

const std::vector<SharedFlag>& shared_flags();

// Adds the named shared flags, in the order given (an unknown name is a usage Error).
void add_shared_flags(Flags& flags, std::initializer_list<const char*> names);

// --threads N, checked (0 to 4096): 0 leaves OpenMP's default (every core).
int thread_count(const Flags& flags);
// --classes C|auto, checked (auto: 0; else 2 to `most`).
int class_count(const Flags& flags, int most);
// --seed S, checked (0 or more), as trainer checks it.
std::uint64_t seed_of(const Flags& flags);
// Sets OpenMP's thread count from --threads, for the programs that do not train.
void apply_thread_count(const Flags& flags);

}  // namespace unet3d
