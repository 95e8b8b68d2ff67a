// Redirecting file descriptor 2 to a temporary file and back.
#include "runtime/stderr_capture.h"

#include <unistd.h>

namespace unet3d {

std::recursive_mutex& stderr_lock() {
  static std::recursive_mutex lock;
  return lock;
}

StderrCapture::StderrCapture() {
  std::fflush(stderr);
  file_ = std::tmpfile();
  if (file_ == nullptr) {
    held_.unlock();  // nothing redirected: nothing to guard
    return;
  }
  saved_ = dup(STDERR_FILENO);
  if (saved_ < 0 || dup2(fileno(file_), STDERR_FILENO) < 0) {
    if (saved_ >= 0) close(saved_);
    saved_ = -1;
    std::fclose(file_);
    file_ = nullptr;
    held_.unlock();
  }
}

StderrCapture::~StderrCapture() {
  release();
}

std::string StderrCapture::release() {
  if (file_ == nullptr) return "";
  const std::unique_lock<std::recursive_mutex> unlock_at_return = std::move(held_);
  std::fflush(stderr);
  dup2(saved_, STDERR_FILENO);
  close(saved_);
  std::string text;
  std::rewind(file_);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;)
    text.append(buffer, n);
  std::fclose(file_);
  file_ = nullptr;
  return text;
}

}  // namespace unet3d
