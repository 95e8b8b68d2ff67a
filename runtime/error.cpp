// Error construction: appends where it was thrown, so every message leads back to the source.
#include "runtime/error.h"

namespace unet3d {

void throw_error(ErrorKind kind, const std::string& message, const char* file, int line) {
  throw Error(kind, concat(message, " [", file, ":", line, "]"));
}

}  // namespace unet3d
