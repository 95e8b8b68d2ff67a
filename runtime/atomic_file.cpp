// Temporary files beside their final name, flushed, checked and renamed into place.
#include "runtime/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "runtime/error.h"

namespace unet3d {
namespace {

std::string folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const std::string name = std::filesystem::path(path_).filename().string();
  if (name.empty()) fail("not a file name", 0);
  const std::string suffix = "." + name;
  temporary_ = folder_of(path_) + "/.partial-XXXXXX" + suffix;
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
  throw_error(ErrorKind::runtime,
              concat("cannot write ", path_, ": ", what, error ? ": " : "",
                     error ? std::strerror(error) : ""),
              __FILE__, __LINE__);
}

void AtomicFile::write(const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
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
  if (::fsync(fd_) != 0) fail("cannot flush it to the disk", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("cannot close it", errno);
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) fail("cannot rename it into place", errno);
  committed_ = true;
  // The rename itself is durable only once the folder is flushed.
  const int dir = ::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomically(const std::string& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content.data(), content.size());
  file.commit();
}

void ignore_file_size_signal() {
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace unet3d
