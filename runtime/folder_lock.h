// An exclusive hold on a folder for a process's life: flock on a lock file inside it, which the
// kernel releases however the process ends (a crash and SIGKILL included), so a stale lock never
// blocks a later run. The lock file holds the holder's pid, for the message a second process gets.
#pragma once

#include <string>

namespace unet3d {

class FolderLock {
 public:
  // Locks `folder` (which must exist) through folder/<name>; a usage Error naming the folder and
  // the holder's pid when another process holds it.
  FolderLock(const std::string& folder, const std::string& name);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace unet3d
