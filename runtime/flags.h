// Command-line flags for the tools and bench (docs/cli.md): long GNU-style flags (--name value
// or --name=value), --help, --version and --verbose on every program, old spellings kept as
// aliases, and a usage Error naming the flag for anything unknown or malformed. run_tool() turns
// any Error into one line on stderr and the documented exit code.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace unet3d {

class Flags {
 public:
  Flags(std::string program, std::string summary);

  // A flag taking a value, with its default ("" for none).
  void add(const std::string& name, const std::string& value_name, const std::string& help,
           const std::string& default_value = "");
  // A flag without a value.
  void add_switch(const std::string& name, const std::string& help);
  // A flag taking one or more values: every argument up to the next flag.
  void add_list(const std::string& name, const std::string& value_name, const std::string& help);
  // `old_name` is read as `name` (a spelling kept from an earlier version).
  void add_alias(const std::string& old_name, const std::string& name);

  // Every flag, in the order added, and whether it is a switch (takes no value).
  struct Entry {
    std::string name;
    bool is_switch;
  };
  std::vector<Entry> entries() const;

  // False after printing --help or --version (the tool then exits 0).
  bool parse(int argc, char** argv);

  bool given(const std::string& name) const;
  bool on(const std::string& name) const { return given(name); }
  const std::string& text(const std::string& name) const;
  // The value a flag has when not given ("" for switches and flags without one).
  const std::string& default_value(const std::string& name) const;
  const std::vector<std::string>& list(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  // "X,Y,Z" (or one "N" for all three).
  std::vector<std::int64_t> triple(const std::string& name) const;
  std::string usage() const;
  // --verbose (every program has it): debug messages, and errors name their source file and line.
  bool verbose() const { return verbose_; }
  // The command line as given, each word shell-quoted where it needs it, for logs and config.json.
  const std::string& command_line() const { return command_line_; }

 private:
  struct Flag {
    std::string value_name, help, default_value;
    bool takes_value = true;
    bool takes_list = false;
  };
  std::string program_, summary_, command_line_;
  bool verbose_ = false;
  std::vector<std::string> order_;
  std::map<std::string, Flag> flags_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> lists_;
};

// `word` as a POSIX shell reads it back: unchanged when it holds only letters, digits and
// _-./:=,+@%, otherwise in single quotes (a quote inside as '\'').
std::string shell_quoted(std::string_view word);

// Runs a tool: `define` adds its flags to Flags named `program` and described by `summary`, the
// command line is parsed (--help and --version print and return 0), and `body` runs with the
// result. An exception becomes one line "program: message" on stderr (with its source place under
// --verbose), "fatal: program: message [place]" in the log file, and its exit code.
int run_tool(int argc, char** argv, const char* program, const char* summary,
             const std::function<void(Flags&)>& define,
             const std::function<int(const Flags&)>& body);

}  // namespace unet3d
