// For tests of error paths: the message of the Error a call throws, its kind checked.
#pragma once

#include <functional>
#include <string>

#include "runtime/error.h"

namespace unet3d::testing {

// CHECKs that `f` throws an Error of kind `expected` and returns its message; "(no error thrown)"
// when it throws none, so that the caller's message assertion fails naming that.
std::string error_of(const std::function<void()>& f, ErrorKind expected);

}  // namespace unet3d::testing
