// The JSON parser on arbitrary text: a value or the project's Error, and a parsed number's
// integer reading either succeeds or throws.
#include "io/json.h"
#include "runtime/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const unet3d::json::Value v = unet3d::json::parse(text, "fuzz input");
    for (const unet3d::json::Value& item : v.items) {
      try {
        if (item.is(unet3d::json::Value::Kind::number)) item.as_int("item");
      } catch (const unet3d::Error&) {
      }
    }
  } catch (const unet3d::Error&) {
  }
  return 0;
}
