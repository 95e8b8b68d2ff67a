// A small JSON reader and writer for the files this project reads and writes itself
// (safetensors headers, split.json, config.json): objects, arrays, strings, numbers, true,
// false, null. Numbers keep their text so 64-bit integers survive exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace unet3d::json {

struct Member;

struct Value {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool boolean = false;
  std::string text;  // a string's contents, or a number's digits
  std::vector<Value> items;
  // In file order. (A struct of its own: std::pair of an incomplete Value is not allowed.)
  std::vector<Member> members;

  bool is(Kind k) const { return kind == k; }
  // The member named `key`, or null when there is none (objects only).
  const Value* find(std::string_view key) const;
  // A number as an integer; a data Error (naming `what`) if it is not an integer in range.
  std::int64_t as_int(std::string_view what) const;
};

struct Member {
  std::string key;
  Value value;
};

// Parses `text`; a data Error naming `source` and the offset where it went wrong.
Value parse(std::string_view text, std::string_view source);
// Parses the file at `path`; a data Error naming it when it cannot be read or parsed.
Value parse_file(const std::string& path);

// `s` as a JSON string literal, quotes and escapes included.
std::string quote(std::string_view s);
// `v` as a JSON number that reads back to the same double (%.17g); null where it is not finite.
std::string number(double v);

}  // namespace unet3d::json
