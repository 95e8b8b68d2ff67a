// For fuzz targets whose reader takes a path: the input written to a file of this process.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace unet3d::fuzzing {

// `data` as the file /tmp/unet3d_fuzz_<pid><suffix>, rewritten for every input.
inline std::string input_file(const std::uint8_t* data, std::size_t size, const char* suffix) {
  const std::string path = "/tmp/unet3d_fuzz_" + std::to_string(::getpid()) + suffix;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace unet3d::fuzzing
