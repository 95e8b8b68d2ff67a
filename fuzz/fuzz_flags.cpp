// The flag parser on arbitrary command lines (arguments separated by NUL bytes) against flags of
// every kind, then every typed reading of what was given: values or the project's usage Error.
#include <string>
#include <vector>

#include "runtime/error.h"
#include "runtime/flags.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"fuzz"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  args.push_back(current);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());

  unet3d::Flags flags("fuzz", "a flag of every kind");
  flags.add("size", "S", "an integer", "96");
  flags.add("lr", "LR", "a number", "1e-3");
  flags.add("phantom-size", "X,Y,Z", "a triple", "128,128,64");
  flags.add("name", "TEXT", "text");
  flags.add_switch("deterministic", "a switch");
  flags.add_list("input", "PATH", "a list");
  flags.add_alias("cases", "size");
  try {
    if (!flags.parse(static_cast<int>(argv.size()), argv.data())) return 0;
    flags.integer("size");
    flags.number("lr");
    flags.triple("phantom-size");
    flags.text("name");
    flags.on("deterministic");
    flags.list("input");
    flags.usage();
  } catch (const unet3d::Error&) {
  }
  return 0;
}
