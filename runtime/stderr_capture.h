// What a library prints on stderr (nifticlib's "** ERROR ..." lines), kept from the terminal so
// that a user reads one line per error, ours, which can quote it.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace unet3d {

// Held by a capture for its life and by every writer of a line to stderr (runtime/log.h): file
// descriptor 2 is the process's, so a capture on one thread (predict reads and writes files on
// two) would otherwise swallow another thread's line, or restore the other's redirection last
// and leave stderr pointing at a deleted file. Recursive: the capturing thread may log.
std::recursive_mutex& stderr_lock();

// Everything written to file descriptor 2 while it lives goes to a temporary file instead.
// Where the redirection cannot be set up, nothing is captured (stderr stays as it was). One
// capture at a time in the process (stderr_lock); other threads' lines wait for its end.
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores stderr and returns what was written meanwhile (once; later calls return "").
  std::string release();

 private:
  std::unique_lock<std::recursive_mutex> held_{stderr_lock()};
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

}  // namespace unet3d
