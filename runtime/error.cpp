// Error construction: records where it was thrown, so every message leads back to the source.
#include "runtime/error.h"

#include <filesystem>
#include <new>

namespace unet3d {

void throw_error(ErrorKind kind, const std::string& message, const char* file, int line) {
  throw Error(kind, message, concat(file, ":", line));
}

namespace {

// "filesystem error: cannot create directories: Not a directory [a/b]" as
// "cannot create directories a/b: Not a directory".
std::string filesystem_message(const std::filesystem::filesystem_error& e) {
  std::string operation = e.what();
  const std::string prefix = "filesystem error: ";
  if (operation.starts_with(prefix)) operation.erase(0, prefix.size());
  const std::string reason = e.code().message();
  if (const auto at = operation.find(": " + reason); at != std::string::npos) operation.resize(at);
  std::string paths;
  for (const auto* path : {&e.path1(), &e.path2()})
    if (!path->empty()) paths += " " + path->string();
  return concat(operation, paths, ": ", reason);
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

ErrorReport report_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return {one_line(e.what()), e.where(), e.exit_code()};
  } catch (const std::filesystem::filesystem_error& e) {
    return {one_line(filesystem_message(e)), "", static_cast<int>(ErrorKind::runtime)};
  } catch (const std::bad_alloc&) {
    return {"out of memory (an allocation failed)", "", static_cast<int>(ErrorKind::runtime)};
  } catch (const std::exception& e) {
    return {one_line(e.what()), "", static_cast<int>(ErrorKind::runtime)};
  } catch (...) {
    return {"an unknown error", "", static_cast<int>(ErrorKind::runtime)};
  }
}

}  // namespace unet3d
