// Temporary files beside their final name, flushed, checked and renamed into place.
#include "runtime/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "runtime/error.h"

namespace unet3d {
namespace {

constexpr char kPartialPrefix[] = ".partial-";

// What UNET3D_FAULT_AT asks for (runtime/atomic_file.h), read once.
struct Fault {
  enum class Kind { none, fail, exit } kind = Kind::none;
  long long at = 0;  // the operation, counted from 1
};

Fault requested_fault() {
  const char* text = std::getenv("UNET3D_FAULT_AT");
  if (text == nullptr || *text == '\0') return {};
  const std::string s = text;
  const std::size_t colon = s.find(':');
  const std::string kind = s.substr(0, colon);
  char* end = nullptr;
  const long long at =
      colon == std::string::npos ? 0 : std::strtoll(s.c_str() + colon + 1, &end, 10);
  if ((kind != "fail" && kind != "exit") || at < 1 || end == nullptr || *end != '\0')
    throw_error(ErrorKind::usage,
                concat("UNET3D_FAULT_AT='", s, "' is not fail:K or exit:K (K a positive count)"),
                __FILE__, __LINE__);
  return {kind == "fail" ? Fault::Kind::fail : Fault::Kind::exit, at};
}

std::atomic<long long> operations_done{0};

// Counts one file operation; true where UNET3D_FAULT_AT makes it fail (errno is then ENOSPC),
// and the process ends here where it asks for that.
bool injected_fault(const char* operation, const std::string& path) {
  static const Fault fault = requested_fault();
  if (fault.kind == Fault::Kind::none || ++operations_done != fault.at) return false;
  std::fprintf(stderr, "unet3d: fault injected at file operation %lld (%s %s)\n", fault.at,
               operation, path.c_str());
  if (fault.kind == Fault::Kind::exit) ::_exit(kFaultExitCode);
  errno = ENOSPC;
  return true;
}

[[noreturn]] void write_error(const std::string& path, const std::string& what, int error) {
  throw_error(ErrorKind::runtime,
              concat("cannot write ", path, ": ", what, error ? ": " : "",
                     error ? std::strerror(error) : ""),
              __FILE__, __LINE__);
}

std::string folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

// A rename or removal is durable only once its folder is flushed.
void flush_folder_of(const std::string& path) {
  const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const std::string name = std::filesystem::path(path_).filename().string();
  if (name.empty()) fail("not a file name", 0);
  const std::string suffix = "." + name;
  temporary_ = folder_of(path_) + "/" + kPartialPrefix + "XXXXXX" + suffix;
  if (injected_fault("create", path_)) fail("cannot create a temporary file beside it", errno);
  fd_ = ::mkstemps(temporary_.data(), static_cast<int>(suffix.size()));
  if (fd_ < 0) fail("cannot create a temporary file beside it", errno);
  // mkstemps makes the file private (0600); what the tools write are ordinary files.
  if (::fchmod(fd_, 0644) != 0) fail("cannot set the mode of its temporary file", errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicFile::fail(const std::string& what, int error) const {
  write_error(path_, what, error);
}

void AtomicFile::write(const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  // The content's writes count as one operation: where the disk fills within them is all one.
  if (!written_ && injected_fault("write", path_)) fail("write failed", errno);
  written_ = true;
  while (size > 0) {
    const ssize_t n = ::write(fd_, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed", errno);
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  // A writer that reopened the file by name wrote through another descriptor; fsync flushes the
  // file whichever descriptor wrote it.
  if (injected_fault("flush", path_) || ::fsync(fd_) != 0)
    fail("cannot flush it to the disk", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("cannot close it", errno);
  if (injected_fault("rename", path_) || ::rename(temporary_.c_str(), path_.c_str()) != 0)
    fail("cannot rename it into place", errno);
  committed_ = true;
  flush_folder_of(path_);
}

void write_file_atomically(const std::string& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content.data(), content.size());
  file.commit();
}

void AtomicFile::become_link_to(const std::string& existing) {
  if (injected_fault("link", path_)) fail(concat("cannot link it to ", existing), errno);
  ::close(fd_);
  fd_ = -1;
  if (::unlink(temporary_.c_str()) != 0) fail("cannot remove its temporary file", errno);
  if (::link(existing.c_str(), temporary_.c_str()) != 0) {
    // No hard links on this file system (FAT, some network mounts): a copy does as well.
    std::error_code error;
    if (!std::filesystem::copy_file(existing, temporary_, error))
      fail(concat("cannot link or copy ", existing, " to it"), error.value());
  }
  fd_ = ::open(temporary_.c_str(), O_RDONLY);  // for commit's fsync
  if (fd_ < 0) fail("cannot reopen its temporary file", errno);
}

void link_atomically(const std::string& existing, const std::string& path) {
  // Already one file (a run killed after linking them): renaming a link onto another name of the
  // same file would do nothing and leave the temporary behind.
  std::error_code error;
  if (std::filesystem::equivalent(existing, path, error)) return;
  AtomicFile file(path);
  file.become_link_to(existing);
  file.commit();
}

void remove_file(const std::string& path) {
  if (injected_fault("remove", path) || (::unlink(path.c_str()) != 0 && errno != ENOENT))
    write_error(path, "cannot remove it", errno);
  flush_folder_of(path);
}

int remove_partial_files(const std::string& folder, const std::vector<std::string>& endings,
                         std::chrono::seconds older_than) {
  std::error_code error;
  int removed = 0;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kPartialPrefix) || !entry.is_regular_file(error)) continue;
    if (older_than.count() > 0 && now - entry.last_write_time(error) < older_than) continue;
    for (const std::string& ending : endings)
      if (name.ends_with(ending)) {
        remove_file(entry.path().string());
        ++removed;
        break;
      }
  }
  return removed;
}

void ignore_file_size_signal() {
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace unet3d
