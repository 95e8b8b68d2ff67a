// Files that appear whole or not at all: atomic writes under a file-size limit (RLIMIT_FSIZE in a
// child process, so no root and no small file system are needed), checkpoints' CRC-32C, and the
// run folder's lock.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "io/crc32c.h"
#include "io/nifti.h"
#include "io/safetensors.h"
#include "runtime/atomic_file.h"
#include "runtime/folder_lock.h"
#include "tests/support/error_of.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using unet3d::testing::error_of;
using unet3d::testing::scratch_folder;
namespace fs = std::filesystem;

namespace {

// Runs `write` in a child process limited to files of `limit_bytes`; the child exits 0 when
// `write` threw an Error naming `path` (the write failed loudly), 1 when it returned, 2 when it
// threw something else.
int child_under_file_limit(std::uint64_t limit_bytes, const std::string& path,
                           const std::function<void()>& write) {
  const pid_t pid = fork();
  if (pid == 0) {
    ignore_file_size_signal();
    const rlimit limit{limit_bytes, limit_bytes};
    setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      write();
    } catch (const Error& e) {
      code = std::strstr(e.what(), path.c_str()) != nullptr ? 0 : 2;
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

// Files in `dir` (the partial files of a failed write would show here).
std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("an atomic write replaces the file whole and leaves no temporary", "[io][atomic]") {
  const fs::path dir = scratch_folder("atomic");
  const std::string path = (dir / "a.json").string();
  write_file_atomically(path, "old");
  write_file_atomically(path, "new content");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "new content");
  CHECK(files_in(dir) == 1);
  CHECK((fs::status(path).permissions() & fs::perms::others_read) != fs::perms::none);
  CHECK_THAT(error_of([&] { write_file_atomically((dir / "missing" / "x").string(), "x"); },
                      ErrorKind::runtime),
             Catch::Contains("cannot write " + (dir / "missing" / "x").string()));
}

TEST_CASE("a link under a second name is atomic, a repeated one a no-op, half-writes removable",
          "[io][atomic]") {
  const fs::path dir = scratch_folder("atomic_link");
  const std::string last = (dir / "last.safetensors").string(),
                    previous = (dir / "previous.safetensors").string();
  write_file_atomically(last, "pair one");
  link_atomically(last, previous);
  link_atomically(last, previous);  // already one file: renaming would leave the temporary
  CHECK(fs::equivalent(last, previous));
  CHECK(files_in(dir) == 2);
  write_file_atomically(last, "pair two");  // the previous name keeps the old content
  std::ifstream in(previous);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "pair one");
  remove_file(previous);
  remove_file(previous);  // gone already: nothing to do
  CHECK(files_in(dir) == 1);

  for (const char* name : {".partial-abcdef.last.safetensors", ".partial-ghijkl.metrics.csv",
                           ".partial-mnopqr.notes.txt", "partial-stuvwx.metrics.csv"})
    std::ofstream(dir / name) << "half";
  CHECK(remove_partial_files(dir.string(), {".safetensors", ".csv"}) == 2);
  CHECK(fs::exists(dir / ".partial-mnopqr.notes.txt"));
  CHECK(fs::exists(dir / "partial-stuvwx.metrics.csv"));
  CHECK(files_in(dir) == 3);

  // Where no lock keeps live writers out (the cache folder): only files a day old go.
  for (const char* name : {".partial-old000.c.safetensors", ".partial-new000.c.safetensors"})
    std::ofstream(dir / name) << "half";
  fs::last_write_time(dir / ".partial-old000.c.safetensors",
                      fs::file_time_type::clock::now() - std::chrono::hours(25));
  CHECK(remove_partial_files(dir.string(), {".safetensors"}, std::chrono::hours(24)) == 1);
  CHECK(fs::exists(dir / ".partial-new000.c.safetensors"));
}

TEST_CASE("a write past the file-size limit fails naming the file and leaves the old one",
          "[io][atomic]") {
  const fs::path dir = scratch_folder("atomic_limit");
  const std::string text_path = (dir / "metrics.csv").string();
  write_file_atomically(text_path, "previous");
  CHECK(child_under_file_limit(4096, text_path, [&] {
          write_file_atomically(text_path, std::string(1 << 20, 'x'));
        }) == 0);
  std::ifstream in(text_path);
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(kept == "previous");

  NiftiGeometry g;
  g.nx = 64, g.ny = 64, g.nz = 64;
  std::vector<float> noise(static_cast<std::size_t>(g.voxels()));
  std::uint64_t state = 88172645463325252ull;  // xorshift: noise that gzip cannot shrink much
  for (float& v : noise) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    v = static_cast<float>(state % 1000003) * 1e-3f;
  }
  for (const char* name : {"prob.nii.gz", "prob.nii"}) {
    const std::string path = (dir / name).string();
    INFO(name);
    CHECK(child_under_file_limit(
              100000, path, [&] { write_nifti(path, g, noise.data(), NiftiStorage::f32); }) == 0);
    CHECK_FALSE(fs::exists(path));
  }
  SafetensorsFile big;
  big.tensors.push_back({"w", "F32", {1 << 18}, std::vector<char>(1 << 20, 1)});
  const std::string checkpoint = (dir / "last.safetensors").string();
  CHECK(child_under_file_limit(65536, checkpoint, [&] { write_safetensors(checkpoint, big); }) ==
        0);
  CHECK_FALSE(fs::exists(checkpoint));
  CHECK(files_in(dir) == 1);  // metrics.csv alone: no partial file of any failed write
  // Without the limit the same writes succeed (so the failures above came from the limit).
  write_nifti((dir / "prob.nii.gz").string(), g, noise.data(), NiftiStorage::f32);
  CHECK(read_nifti((dir / "prob.nii.gz").string()).values == noise);
}

TEST_CASE("CRC-32C matches its published check values", "[io][crc]") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0), ones(32, 0xFF);
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720, B.4
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  // In pieces as in one call, at every split (the word loop and the byte tail both run).
  std::string text(1000, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i * 31 + 7);
  const std::uint32_t whole = crc32c(text.data(), text.size());
  for (std::size_t split : {0, 1, 7, 8, 13, 500, 999})
    CHECK(crc32c(text.data() + split, text.size() - split, crc32c(text.data(), split)) == whole);
  CHECK(crc32c_hex(0xE3069283u) == "e3069283");
  CHECK(crc32c_hex(0x5u) == "00000005");
}

TEST_CASE("checkpoints carry a CRC-32C of their data, checked on load", "[io][crc]") {
  const fs::path dir = scratch_folder("crc");
  SafetensorsFile file;
  file.metadata["format"] = "test";
  file.tensors.push_back({"a", "F32", {2}, std::vector<char>(8, 3)});
  file.tensors.push_back({"b", "U8", {3}, {1, 2, 3}});
  const std::string path = (dir / "x.safetensors").string();
  write_safetensors(path, file);
  const SafetensorsFile back = read_safetensors(path);
  CHECK(back.metadata.at("format") == "test");
  CHECK(back.metadata.count("data_crc32c") == 0);  // handled by the reader and the writer alone
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::vector<char> data(file.tensors[0].bytes);
  data.insert(data.end(), file.tensors[1].bytes.begin(), file.tensors[1].bytes.end());
  CHECK_THAT(bytes, Catch::Contains("\"data_crc32c\":\"" +
                                    crc32c_hex(crc32c(data.data(), data.size())) + "\""));
  // One bit flipped in the data: refused, naming the file.
  std::string flipped = bytes;
  flipped[flipped.size() - 2] ^= 0x10;
  const std::string bad = (dir / "flipped.safetensors").string();
  std::ofstream(bad, std::ios::binary) << flipped;
  CHECK_THAT(error_of([&] { read_safetensors(bad); }, ErrorKind::data),
             Catch::Contains(bad) && Catch::Contains("corrupt"));
  CHECK_THAT(error_of([&] { read_safetensors(dir.string()); }, ErrorKind::data),
             Catch::Contains("is a folder"));
}

TEST_CASE("a folder lock admits one holder and names it to the next", "[io][lock]") {
  const fs::path dir = scratch_folder("lock");
  {
    FolderLock first(dir.string(), "trainer.lock");
    CHECK_THAT(
        error_of([&] { FolderLock second(dir.string(), "trainer.lock"); }, ErrorKind::usage),
        Catch::Contains(dir.string()) && Catch::Contains("process " + std::to_string(getpid())));
  }
  FolderLock again(dir.string(), "trainer.lock");  // released with its holder
}
