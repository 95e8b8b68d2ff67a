// The NIfTI reader on arbitrary bytes, as .nii and as .nii.gz: every input must read or end in
// the project's Error, never in a crash, a hang or undefined behaviour (nifticlib included).
#include "fuzz/fuzz_input_file.h"
#include "io/nifti.h"
#include "runtime/error.h"
#include "runtime/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  unet3d::set_log_level(unet3d::LogLevel::error);  // the 4-D warning would flood the output
  // The first byte picks the name: gzip input is read as .nii.gz, the rest as .nii.
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = unet3d::fuzzing::input_file(data, size, gzip ? ".nii.gz" : ".nii");
  try {
    const unet3d::NiftiVolume v = unet3d::read_nifti(path);
    if (v.values.size() != static_cast<std::size_t>(v.geometry.voxels())) __builtin_trap();
  } catch (const unet3d::Error&) {
  }
  try {
    unet3d::read_nifti_geometry(path);
  } catch (const unet3d::Error&) {
  }
  return 0;
}
