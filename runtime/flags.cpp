// Flag parsing and the tools' error boundary.
#include "runtime/flags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/library_settings.h"
#include "runtime/log.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

[[noreturn]] void usage_error(const std::string& what) {
  throw Error(ErrorKind::usage, what);
}

}  // namespace

Flags::Flags(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void Flags::add(const std::string& name, const std::string& value_name, const std::string& help,
                const std::string& default_value) {
  order_.push_back(name);
  flags_[name] = {value_name, help, default_value, true};
}

void Flags::add_list(const std::string& name, const std::string& value_name,
                     const std::string& help) {
  order_.push_back(name);
  flags_[name] = {value_name + "...", help, "", true, true};
}

void Flags::add_switch(const std::string& name, const std::string& help) {
  order_.push_back(name);
  flags_[name] = {"", help, "", false};
}

void Flags::add_alias(const std::string& old_name, const std::string& name) {
  UNET3D_USAGE_CHECK(flags_.count(name), "add_alias: no flag --", name);
  aliases_[old_name] = name;
}

std::vector<Flags::Entry> Flags::entries() const {
  std::vector<Entry> out;
  for (const std::string& name : order_) out.push_back({name, !flags_.at(name).takes_value});
  return out;
}

bool Flags::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) command_line_ += (i ? " " : "") + shell_quoted(argv[i]);
  std::map<std::string, std::string> spelled;  // the spelling each flag was given with
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage().c_str());
      return false;
    }
    if (arg == "--verbose") {
      verbose_ = true;
      set_log_level(LogLevel::debug);
      continue;
    }
    if (arg == "--version") {
      std::printf("%s (unet3d-cuda) %s, commit %s\n", program_.c_str(), kVersion, kCommit);
      return false;
    }
    if (!arg.starts_with("--")) usage_error(concat("unexpected argument '", arg, "' (see --help)"));
    std::string name = arg.substr(2), value;
    const auto equals = name.find('=');
    const bool inline_value = equals != std::string::npos;
    if (inline_value) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    const std::string spelling = "--" + name;
    if (const auto alias = aliases_.find(name); alias != aliases_.end()) name = alias->second;
    const auto flag = flags_.find(name);
    if (flag == flags_.end()) usage_error(concat("unknown flag --", name, " (see --help)"));
    if (flag->second.takes_list) {
      std::vector<std::string>& items = lists_[name];
      if (inline_value) items.push_back(value);
      while (i + 1 < argc && !std::string(argv[i + 1]).starts_with("--"))
        items.push_back(argv[++i]);
      if (items.empty())
        usage_error(concat("--", name, " needs at least one ", flag->second.value_name));
    } else if (flag->second.takes_value) {
      if (!inline_value) {
        if (i + 1 >= argc)
          usage_error(concat("--", name, " needs a value (", flag->second.value_name, ")"));
        value = argv[++i];
      }
    } else if (inline_value) {
      usage_error(concat("--", name, " takes no value"));
    }
    // A later value wins (scripts append overrides), but not one under another spelling: the
    // two names would read as two settings.
    if (const auto earlier = values_.find(name);
        earlier != values_.end() && earlier->second != value && spelled[name] != spelling)
      usage_error(concat("--", name, " given twice: '", earlier->second, "' as ", spelled[name],
                         " and '", value, "' as ", spelling));
    spelled[name] = spelling;
    values_[name] = value;
  }
  return true;
}

std::string shell_quoted(std::string_view word) {
  const auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_-./:=,+@%", c) != nullptr;
  };
  if (!word.empty() && std::all_of(word.begin(), word.end(), plain)) return std::string(word);
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

bool Flags::given(const std::string& name) const {
  return values_.count(name) > 0 || lists_.count(name) > 0;
}

const std::vector<std::string>& Flags::list(const std::string& name) const {
  static const std::vector<std::string> none;
  const auto found = lists_.find(name);
  return found != lists_.end() ? found->second : none;
}

const std::string& Flags::text(const std::string& name) const {
  const auto v = values_.find(name);
  return v != values_.end() ? v->second : flags_.at(name).default_value;
}

const std::string& Flags::default_value(const std::string& name) const {
  return flags_.at(name).default_value;
}

std::int64_t Flags::integer(const std::string& name) const {
  const std::string& s = text(name);
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    usage_error(concat("--", name, ": '", s, "' is not an integer"));
  return v;
}

double Flags::number(const std::string& name) const {
  const std::string& s = text(name);
  std::istringstream in(s);
  double v = 0;
  if (s.empty() || !(in >> v) || !in.eof())
    usage_error(concat("--", name, ": '", s, "' is not a number"));
  return v;
}

std::vector<std::int64_t> Flags::triple(const std::string& name) const {
  std::vector<std::int64_t> out;
  std::istringstream in(text(name));
  for (std::string part; std::getline(in, part, ',');) {
    std::int64_t v = 0;
    const auto r = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || r.ec != std::errc() || r.ptr != part.data() + part.size() || v <= 0)
      usage_error(concat("--", name, ": '", text(name), "' is not X,Y,Z of positive integers"));
    out.push_back(v);
  }
  if (out.size() == 1) out = {out[0], out[0], out[0]};
  if (out.size() != 3) usage_error(concat("--", name, ": '", text(name), "' needs 1 or 3 values"));
  return out;
}

std::string Flags::usage() const {
  std::string text = concat("usage: ", program_, " [flags]\n", summary_, "\n\nflags:\n");
  for (const std::string& name : order_) {
    const Flag& f = flags_.at(name);
    std::string left = "  --" + name + (f.takes_value ? " " + f.value_name : "");
    left.resize(std::max<std::size_t>(left.size() + 2, 28), ' ');
    text += left + f.help;
    if (!f.default_value.empty()) text += " (default " + f.default_value + ")";
    text += "\n";
  }
  for (const auto& [old_name, name] : aliases_) {
    std::string left = "  --" + old_name;
    left.resize(std::max<std::size_t>(left.size() + 2, 28), ' ');
    text += left + "the old name of --" + name + "\n";
  }
  return text +
         "  --verbose                 debug messages, and where in the source an error arose\n"
         "  --help                    this text\n"
         "  --version                 the program's version and commit\n";
}

int run_tool(int argc, char** argv, const char* program, const char* summary,
             const std::function<void(Flags&)>& define,
             const std::function<int(const Flags&)>& body) {
  apply_library_settings(argv);
  ignore_file_size_signal();
  Flags flags(program, summary);
  try {
    define(flags);
    if (!flags.parse(argc, argv)) return 0;
    return body(flags);
  } catch (...) {
    const ErrorReport report = report_of(std::current_exception());
    const std::string place = report.where.empty() ? "" : concat(" [", report.where, "]");
    std::fprintf(stderr, "%s: %s%s\n", program, report.message.c_str(),
                 flags.verbose() ? place.c_str() : "");
    append_to_log_file(concat("fatal: ", program, ": ", report.message, place));
    return report.exit_code;
  }
}

}  // namespace unet3d
