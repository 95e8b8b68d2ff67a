// What a library prints on stderr (nifticlib's "** ERROR ..." lines), kept from the terminal so
// that a user reads one line per error, ours, which can quote it.
#pragma once

#include <cstdio>
#include <string>

namespace unet3d {

// Everything written to file descriptor 2 while it lives goes to a temporary file instead.
// Where the redirection cannot be set up, nothing is captured (stderr stays as it was). File
// descriptor 2 is the process's: one capture at a time, from the thread that reads the files.
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Restores stderr and returns what was written meanwhile (once; later calls return "").
  std::string release();

 private:
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

}  // namespace unet3d
