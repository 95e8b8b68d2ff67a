// flock-based folder locks.
#include "runtime/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/error.h"

namespace unet3d {

FolderLock::FolderLock(const std::string& folder, const std::string& name) {
  const std::string path = folder + "/" + name;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw_error(ErrorKind::runtime,
                concat("cannot open the lock file ", path, ": ", std::strerror(errno)), __FILE__,
                __LINE__);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK)
      throw_error(ErrorKind::runtime, concat("cannot lock ", path, ": ", std::strerror(error)),
                  __FILE__, __LINE__);
    std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw Error(ErrorKind::usage,
                concat(folder, " is in use by another run (process ", pid.empty() ? "?" : pid,
                       "); wait for it to end or choose another folder"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a second process is poorer.
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace unet3d
