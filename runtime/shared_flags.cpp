// The shared flags' one definition.
#include "runtime/shared_flags.h"

#include <omp.h>

#include <cstring>

#include "runtime/error.h"

namespace unet3d {

const std::vector<SharedFlag>& shared_flags() {
  static const std::vector<SharedFlag> table = {
      {"data", "DIR", "dataset folder (HipMRI or Decathlon layout)", ""},
      {"layout", "auto|hipmri|msd", "dataset layout", "auto"},
      {"device", "auto|cuda|cpu",
       "where to compute: the GPU (cuda), the CPU, or auto (the GPU "
       "where there is one)",
       "auto"},
      {"threads", "N", "CPU threads (0: all; per rank under mpirun)", "0"},
      {"precision", "auto|fp16|fp32", "fp16 = mixed precision (CUDA only); auto: fp16 on a GPU",
       "auto"},
      {"deterministic", "",
       "CUDA: deterministic cuDNN algorithms only, chosen without timing, so "
       "a run repeats bit for bit (the CPU always does)",
       ""},
      {"classes", "C|auto",
       "number of classes, the background included (auto: from the data: "
       "dataset.json's labels, else the largest label plus one)",
       "auto"},
      {"seed", "S",
       "random seed, 0 or more: of generated phantoms and (trainer) of "
       "initialisation, split, order and augmentation",
       "42"},
      {"phantoms", "N",
       "number of phantom cases (the trainer generates them in memory when "
       "--data is absent)",
       "40"},
      {"phantom-size", "X,Y,Z", "grid of each phantom", "128,128,64"},
      {"mode", "resize|patch",
       "resize: whole volumes resized to S^3 (the original's); patch: "
       "patches at a target spacing, whole volumes segmented with a sliding window",
       "resize"},
      {"size", "S",
       "network input side (S^3 voxels); patch mode: the default patch's most "
       "voxels",
       "96"},
      {"spacing", "X,Y,Z",
       "patch mode: target spacing in mm (trainer's default: the training "
       "cases' median)",
       ""},
      {"patch", "X,Y,Z",
       "patch mode: patch size, multiples of each axis's total pooling "
       "(trainer's default: from the data)",
       ""},
      {"activation", "relu|leakyrelu", "after each norm (LeakyReLU: slope 0.01)", "relu"},
      {"overlap", "O", "patch mode: sliding-window overlap, 0 <= O < 1", "0.5"},
      {"tta", "none|mirror", "patch mode: mirror = mean over the 8 flips at inference", "none"},
      {"memory-gb", "G",
       "the memory a training step may take, for the plan (a fixed figure, so "
       "a plan repeats on any machine)",
       "8"},
      {"features", "F", "UNet3D init_features", "32"},
      {"max-features", "F|none", "cap on any level's features", "none"},
      {"norm", "batch|instance", "BatchNorm3d, or InstanceNorm3d (affine)", "batch"},
      {"depth", "D", "UNet3D depth", "4"},
      {"nsd-tolerance", "MM", "the tolerance of the surface Dice (NSD)", "2"},
      {"cache", "DIR", "preprocessing cache folder (default $XDG_CACHE_HOME/unet3d)", ""},
      {"no-cache", "", "neither read nor write the preprocessing cache", ""},
  };
  return table;
}

void add_shared_flags(Flags& flags, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const SharedFlag* found = nullptr;
    for (const SharedFlag& f : shared_flags())
      if (std::strcmp(f.name, name) == 0) found = &f;
    if (found == nullptr) throw Error(ErrorKind::usage, concat("no shared flag --", name));
    if (*found->value_name == '\0')
      flags.add_switch(found->name, found->help);
    else
      flags.add(found->name, found->value_name, found->help, found->default_value);
  }
}

int thread_count(const Flags& flags) {
  const std::int64_t n = flags.integer("threads");
  if (n < 0 || n > 4096)
    throw Error(ErrorKind::usage, concat("--threads ", n, ": not in 0 ... 4096"));
  return static_cast<int>(n);
}

int class_count(const Flags& flags, int most) {
  const std::string& text = flags.text("classes");
  if (text == "auto") return 0;
  const std::int64_t n = flags.integer("classes");
  if (n < 2 || n > most)
    throw Error(ErrorKind::usage, concat("--classes ", n, ": not auto, nor in 2 ... ", most));
  return static_cast<int>(n);
}

std::uint64_t seed_of(const Flags& flags) {
  const std::int64_t seed = flags.integer("seed");
  if (seed < 0)
    throw Error(ErrorKind::usage, concat("--seed ", seed, ": not a non-negative integer"));
  return static_cast<std::uint64_t>(seed);
}

void apply_thread_count(const Flags& flags) {
  if (const int n = thread_count(flags); n > 0) omp_set_num_threads(n);
}

}  // namespace unet3d
