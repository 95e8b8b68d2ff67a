// The safetensors reader on arbitrary bytes: every input must read or end in the project's
// Error; what it reads must hold together (each tensor's bytes match its shape and dtype).
#include "fuzz/fuzz_input_file.h"
#include "io/safetensors.h"
#include "runtime/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = unet3d::fuzzing::input_file(data, size, ".safetensors");
  try {
    const unet3d::SafetensorsFile file = unet3d::read_safetensors(path);
    for (const unet3d::StoredTensor& t : file.tensors) {
      std::size_t n = unet3d::safetensors_dtype_size(t.dtype);
      for (const std::int64_t d : t.shape) n *= static_cast<std::size_t>(d);
      if (n != t.bytes.size()) __builtin_trap();
    }
  } catch (const unet3d::Error&) {
  }
  return 0;
}
