// Shape and Grid printing for error messages and logs.
#include "runtime/shape.h"

#include "runtime/error.h"

namespace unet3d {

std::string Shape::str() const {
  return concat("[n=", n, " d=", d, " h=", h, " w=", w, " c=", c, "]");
}

std::string Grid::str() const {
  return concat(d, "x", h, "x", w);
}

}  // namespace unet3d
