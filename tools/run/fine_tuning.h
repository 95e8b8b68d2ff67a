// Fine-tuning, `trainer --init-from CKPT`: a new run that takes a trained model file's network,
// mode, spacing, patch and normalisation (nnU-Net asks this of a fine-tuned run), and starts from
// every tensor of it whose name and shape fit, the rest freshly initialised: the head where the
// classes differ, the first convolution where the channels do.
#pragma once

#include <string>

#include "layers/unet3d.h"
#include "runtime/flags.h"
#include "tools/run/run_config.h"

namespace unet3d {

// A new run's settings where settings["init-from"] names a model file: the checkpoint's network
// (features, depth, kernel and pooling sizes, feature cap, norm, activation, deep supervision),
// mode, resize mode's size or patch mode's spacing and patch, and, where the data has as many
// channels as the checkpoint, its normalisation. Each is written where its flag is not given
// (a preset's value gives way); a flag given with another value (compared as parsed) is a usage
// Error naming the flag, both values and the file. A --plan given is a usage Error (the
// checkpoint fixes what a plan sets); a preset's plan is dropped. An unreadable or corrupt file
// is a data Error naming it.
void take_checkpoint_settings(RunSettings& settings, const Flags& flags);

// After the network's fresh initialisation: every tensor of the model file at `path` that fits
// `net` loaded, and the log lists what was loaded and what was kept fresh. A file none of whose
// tensors fits is a usage Error (the wrong file).
void initialize_from_checkpoint(const std::string& path, UNet3D& net);

}  // namespace unet3d
