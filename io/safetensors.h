// The safetensors file format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range (plus string metadata), then the raw data. Writing is atomic
// and puts the CRC-32C of the data in the metadata ("data_crc32c"); reading checks everything a
// corrupt or hand-edited file can get wrong, the checksum included where the file has one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace unet3d {

struct StoredTensor {
  std::string name;
  std::string dtype;  // "F16", "F32", "F64", "I64", "U8", ...
  std::vector<std::int64_t> shape;
  std::vector<char> bytes;  // little-endian, row-major
};

struct SafetensorsFile {
  // "__metadata__" without the checksum, which only the reader and writer handle.
  std::map<std::string, std::string> metadata;
  bool has_metadata = false;  // read: the file had a "__metadata__" (written files always do)
  // Written: the metadata also holds "header_crc32c", the CRC-32C of the header without that
  // member (cache files: their header says what the data is). Read: the file had it, and it held.
  bool header_checksum = false;
  std::vector<StoredTensor> tensors;  // in data order

  const StoredTensor* find(const std::string& name) const;
  // The tensor `name`; a data Error naming `path` and the tensor where it is missing.
  const StoredTensor& require(const std::string& name, const std::string& path) const;
  // The metadata value `key` as an integer; a data Error naming `path` and the key where it is
  // missing or not an integer.
  std::int64_t metadata_integer(const std::string& key, const std::string& path) const;
  // The metadata value `key`, or `absent` where the file does not have it.
  std::string metadata_or(const std::string& key, const std::string& absent) const;
};

// Bytes per element of a safetensors dtype name; 0 for names this project does not know.
std::size_t safetensors_dtype_size(const std::string& dtype);

// A data Error naming the file (and the tensor) for a missing, truncated or malformed file.
SafetensorsFile read_safetensors(const std::string& path);

// The metadata (the data's checksum, "data_crc32c", left in: it identifies the content) and the
// tensors' names, dtypes and shapes (no bytes) of a file, with every check of read_safetensors but
// the data's checksum, which needs the data.
SafetensorsFile read_safetensors_header(const std::string& path);

// Writes through an AtomicFile (runtime/atomic_file.h): a failure (a full disk) is a runtime Error
// and leaves any previous file at `path` intact.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

}  // namespace unet3d
