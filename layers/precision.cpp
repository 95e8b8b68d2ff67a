// Precision (precision.h).
#include "layers/precision.h"

#include "runtime/error.h"

namespace unet3d {

DType activation_dtype(Precision p) {
  return p == Precision::f16 ? DType::f16 : p == Precision::f64 ? DType::f64 : DType::f32;
}

DType master_dtype(Precision p) {
  return p == Precision::f64 ? DType::f64 : DType::f32;
}

std::optional<Precision> parse_precision_choice(const std::string& word) {
  if (word == "auto") return std::nullopt;
  if (word == "fp16") return Precision::f16;
  UNET3D_USAGE_CHECK(word == "fp32", "--precision: '", word, "' is not one of auto, fp16, fp32");
  return Precision::f32;
}

Precision resolve_precision(std::optional<Precision> choice, Device device) {
  return choice.value_or(device == Device::cuda ? Precision::f16 : Precision::f32);
}

const char* precision_word(Precision p) {
  return p == Precision::f16 ? "fp16" : "fp32";
}

}  // namespace unet3d
