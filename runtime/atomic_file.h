// Files that appear whole or not at all. A writer fills a temporary file in the final file's own
// folder; commit() flushes it to the disk (fsync) and renames it over the final name, so a crash,
// a full disk (ENOSPC) or a file-size limit (EFBIG) never leaves a partial file under that name.
// Every failure is a runtime Error naming the final file; the temporary is then removed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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
  // fsync, rename onto path(), fsync of the folder.
  void commit();
  // The runtime Error "cannot write <path>: <what>[: <strerror(error)>]" (error 0: none).
  [[noreturn]] void fail(const std::string& what, int error = 0) const;

 private:
  std::string path_, temporary_;
  int fd_ = -1;
  bool committed_ = false;
};

// `content` as the file `path`, through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view content);

// The tools ignore SIGXFSZ, so that writing past a file-size limit fails with EFBIG, a write error
// like any other, instead of killing the process.
void ignore_file_size_signal();

}  // namespace unet3d
