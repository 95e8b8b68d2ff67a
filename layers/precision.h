// The arithmetic a network runs in, and --precision's words for it.
#pragma once

#include <optional>
#include <string>

#include "runtime/device.h"
#include "runtime/dtype.h"

namespace unet3d {

// Activations and convolutions in f32, f16 (mixed precision: f32 master weights, CUDA only) or
// f64 (CPU gradient checks).
enum class Precision { f32, f16, f64 };

DType activation_dtype(Precision p);
DType master_dtype(Precision p);

// --precision's value: "fp16" or "fp32", or "auto" (none: fp16 on a GPU, fp32 on the CPU). Any
// other word is a usage error naming the value.
std::optional<Precision> parse_precision_choice(const std::string& word);
Precision resolve_precision(std::optional<Precision> choice, Device device);
// "fp16" or "fp32", as --precision names them.
const char* precision_word(Precision p);

}  // namespace unet3d
