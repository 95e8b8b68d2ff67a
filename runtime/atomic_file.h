// Files that appear whole or not at all. A writer fills a temporary file in the final file's own
// folder; commit() flushes it to the disk (fsync) and renames it over the final name, so a crash,
// a full disk (ENOSPC) or a file-size limit (EFBIG) never leaves a partial file under that name.
// Every failure is a runtime Error naming the final file; the temporary is then removed.
//
// Each file operation here (creating, writing the content, flushing, renaming, linking, removing)
// is counted, so that a test can stop a process at the k-th one: the environment variable
// UNET3D_FAULT_AT = "fail:K" makes operation K fail as a full disk would (ENOSPC), "exit:K" ends
// the process there as SIGKILL would (_exit(kFaultExitCode), nothing flushed). Unset, it costs
// one comparison per operation.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace unet3d {

class AtomicFile {
 public:
  // Reserves a temporary name beside `path`: hidden (a leading dot) and ending in path's own file
  // name, so that writers choosing a format by the extension (".nii.gz") see the right one.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  // Where the writer puts the content (it may reopen the file by this name).
  const std::string& temporary() const { return temporary_; }
  // Appends bytes to the temporary file.
  void write(const void* data, std::size_t size);
  // Makes the temporary another name of the file `existing` (a hard link; a copy where the file
  // system has none) in place of what was written.
  void become_link_to(const std::string& existing);
  // fsync, rename onto path(), fsync of the folder.
  void commit();
  // The runtime Error "cannot write <path>: <what>[: <strerror(error)>]" (error 0: none).
  [[noreturn]] void fail(const std::string& what, int error = 0) const;

 private:
  std::string path_, temporary_;
  int fd_ = -1;
  bool committed_ = false;
  bool written_ = false;  // write() has been called
};

// `content` as the file `path`, through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view content);

// `path` becomes another name of the file `existing` (a hard link made under a temporary name and
// renamed over `path`; a copy where the file system has no hard links). A runtime Error naming
// `path` where it cannot.
void link_atomically(const std::string& existing, const std::string& path);

// Removes `path` if it exists; a runtime Error naming it where it cannot.
void remove_file(const std::string& path);

// Removes the temporary files (".partial-*") that writers killed before their rename left in
// `folder` (not below it) for final names ending in one of `endings`, and last written at least
// `older_than` ago; how many. With 0, call it only while holding the folder's lock, so that no
// live writer's temporary is taken; a folder without a lock (the cache's) needs an age no live
// write reaches.
int remove_partial_files(const std::string& folder, const std::vector<std::string>& endings,
                         std::chrono::seconds older_than = std::chrono::seconds(0));

// The exit code of a process ended by UNET3D_FAULT_AT="exit:K" (SIGKILL's, 128 + 9).
inline constexpr int kFaultExitCode = 137;

// The tools ignore SIGXFSZ, so that writing past a file-size limit fails with EFBIG, a write error
// like any other, instead of killing the process.
void ignore_file_size_signal();

}  // namespace unet3d
