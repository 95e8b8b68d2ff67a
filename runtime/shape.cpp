// Shape printing for error messages and logs.
#include "runtime/shape.h"

#include "runtime/error.h"

namespace unet3d {

std::string Shape::str() const {
  return concat("[n=", n, " d=", d, " h=", h, " w=", w, " c=", c, "]");
}

}  // namespace unet3d
