// Reading and writing safetensors files.
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/crc32c.h"
#include "io/json.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

// A header this large is not a model checkpoint.
constexpr std::uint64_t kMaxHeader = std::uint64_t{100} << 20;

// The metadata key of the CRC-32C of every byte after the header (docs/formats.md).
constexpr char kChecksumKey[] = "data_crc32c";
// The metadata key of the CRC-32C of the header itself, that member left out (cache files).
constexpr char kHeaderChecksumKey[] = "header_crc32c";

[[noreturn]] void bad_file(const std::string& path, const std::string& what) {
  throw_error(ErrorKind::data, concat(path, ": ", what), __FILE__, __LINE__);
}

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::uint32_t data_checksum(const std::vector<StoredTensor>& tensors) {
  std::uint32_t crc = 0;
  for (const StoredTensor& t : tensors) crc = crc32c(t.bytes.data(), t.bytes.size(), crc);
  return crc;
}

// The header, its metadata carrying the data's checksum.
std::string header_text(const SafetensorsFile& file, std::map<std::string, std::string> metadata) {
  std::string h = "{\"__metadata__\":{";
  bool first = true;
  for (const auto& [key, value] : metadata) {
    h += concat(first ? "" : ",", json::quote(key), ":", json::quote(value));
    first = false;
  }
  h += "}";
  if (!file.tensors.empty()) h += ",";
  std::size_t offset = 0;
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    const StoredTensor& t = file.tensors[i];
    std::string shape;
    for (std::size_t k = 0; k < t.shape.size(); ++k) shape += concat(k ? "," : "", t.shape[k]);
    h += concat(i ? "," : "", json::quote(t.name), ":{\"dtype\":", json::quote(t.dtype),
                ",\"shape\":[", shape, "],\"data_offsets\":[", offset, ",", offset + t.bytes.size(),
                "]}");
    offset += t.bytes.size();
  }
  return h + "}";
}

// `header` without its header_crc32c member (and the comma before or after it), whose value is
// `value`; "" where the header does not hold the member as header_text writes it.
std::string without_header_checksum(const std::string& header, const std::string& value) {
  const std::string member = concat(json::quote(kHeaderChecksumKey), ":", json::quote(value));
  std::size_t at = header.find(member), length = member.size();
  if (at == std::string::npos) return "";
  if (at > 0 && header[at - 1] == ',')
    --at, ++length;
  else if (at + length < header.size() && header[at + length] == ',')
    ++length;
  return header.substr(0, at) + header.substr(at + length);
}

// The header as written: the metadata with the data's checksum and, where asked for, the
// header's own (the CRC-32C of the header without that member), padded so that the data starts
// 8-byte aligned, as the reference writer does.
std::string header_json(const SafetensorsFile& file) {
  std::map<std::string, std::string> metadata = file.metadata;
  metadata[kChecksumKey] = crc32c_hex(data_checksum(file.tensors));
  std::string h = header_text(file, metadata);
  if (file.header_checksum) {
    metadata[kHeaderChecksumKey] = crc32c_hex(crc32c(h.data(), h.size(), 0));
    h = header_text(file, metadata);
  }
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

}  // namespace

const StoredTensor* SafetensorsFile::find(const std::string& name) const {
  for (const StoredTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const StoredTensor& SafetensorsFile::require(const std::string& name,
                                             const std::string& path) const {
  const StoredTensor* t = find(name);
  if (t == nullptr) bad_file(path, concat("missing tensor '", name, "'"));
  return *t;
}

std::int64_t SafetensorsFile::metadata_integer(const std::string& key,
                                               const std::string& path) const {
  const auto found = metadata.find(key);
  if (found == metadata.end()) bad_file(path, concat("metadata lacks '", key, "'"));
  std::int64_t v = 0;
  std::istringstream in(found->second);
  if (!(in >> v) || !in.eof())
    bad_file(path, concat("metadata '", key, "' = '", found->second, "' is not an integer"));
  return v;
}

std::string SafetensorsFile::metadata_or(const std::string& key, const std::string& absent) const {
  const auto found = metadata.find(key);
  return found != metadata.end() ? found->second : absent;
}

std::size_t safetensors_dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "U8" || dtype == "I8" || dtype == "BOOL") return 1;
  return 0;
}

namespace {

struct Range {
  std::uint64_t begin, end;
  std::size_t index;  // in SafetensorsFile::tensors
};

// A file's header parsed and checked against the file's size, tensors without their bytes.
struct Layout {
  SafetensorsFile file;
  std::uint64_t data_start = 0;
  std::vector<Range> ranges;  // by where they start
};

// Tensor `name`'s header entry, checked against the data's size; `range` := where its bytes lie.
StoredTensor tensor_entry(const std::string& path, const std::string& name,
                          const json::Value& entry, std::uint64_t data_size, Range& range) {
  const std::string where = concat("tensor '", name, "'");
  const json::Value* dtype = entry.find("dtype");
  const json::Value* shape = entry.find("shape");
  const json::Value* offsets = entry.find("data_offsets");
  if (!dtype || !dtype->is(json::Value::Kind::string) || !shape ||
      !shape->is(json::Value::Kind::array) || !offsets || !offsets->is(json::Value::Kind::array) ||
      offsets->items.size() != 2)
    bad_file(path, where + " lacks a dtype, a shape or two data_offsets");
  StoredTensor t;
  t.name = name;
  t.dtype = dtype->text;
  const std::size_t element = safetensors_dtype_size(t.dtype);
  if (element == 0) bad_file(path, concat(where, " has unknown dtype ", t.dtype));
  for (const json::Value& d : shape->items) {
    t.shape.push_back(d.as_int(concat(path, ": ", where, " shape")));
    if (t.shape.back() < 0) bad_file(path, where + " has a negative dimension");
  }
  const auto begin = static_cast<std::uint64_t>(offsets->items[0].as_int(path));
  const auto end = static_cast<std::uint64_t>(offsets->items[1].as_int(path));
  if (begin > end || end > data_size)
    bad_file(path, concat(where, " has data_offsets [", begin, ", ", end, "] outside the ",
                          data_size, " bytes of data (truncated file?)"));
  if (end - begin != static_cast<std::uint64_t>(element_count(t.shape)) * element)
    bad_file(path, concat(where, " holds ", end - begin, " bytes, but its shape and dtype ",
                          "need ", element_count(t.shape) * static_cast<std::int64_t>(element)));
  range.begin = begin;
  range.end = end;
  return t;
}

Layout read_layout(std::ifstream& in, const std::string& path) {
  if (std::filesystem::is_directory(path)) bad_file(path, "is a folder, not a safetensors file");
  if (!in) bad_file(path, "cannot open it");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  if (size < 8) bad_file(path, concat("truncated: ", size, " bytes, no header length"));
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[i];
  if (header_size > kMaxHeader || header_size > size - 8)
    bad_file(path, concat("bad header length ", header_size, " in a file of ", size, " bytes"));
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const json::Value root = json::parse(header, path);
  if (!root.is(json::Value::Kind::object)) bad_file(path, "the header is not a JSON object");

  Layout layout;
  SafetensorsFile& file = layout.file;
  layout.data_start = 8 + header_size;
  const std::uint64_t data_size = size - 8 - header_size;
  std::vector<Range>& ranges = layout.ranges;
  for (const auto& [name, entry] : root.members) {
    if (name == "__metadata__") {
      if (!entry.is(json::Value::Kind::object)) bad_file(path, "__metadata__ is not an object");
      file.has_metadata = true;
      for (const auto& [key, value] : entry.members) {
        if (!value.is(json::Value::Kind::string))
          bad_file(path, concat("metadata '", key, "' is not a string"));
        file.metadata[key] = value.text;
      }
      continue;
    }
    Range range{0, 0, file.tensors.size()};
    file.tensors.push_back(tensor_entry(path, name, entry, data_size, range));
    ranges.push_back(range);
  }
  // The data must be exactly the tensors, back to back (what the reference reader demands).
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::uint64_t expected = 0;
  for (const Range& r : ranges) {
    if (r.begin != expected)
      bad_file(path, concat("tensor '", file.tensors[r.index].name, "' starts at byte ", r.begin,
                            " of the data, expected ", expected, " (overlap or gap)"));
    expected = r.end;
  }
  if (expected != data_size)
    bad_file(path, concat(data_size - expected, " bytes of data belong to no tensor"));
  // Cache files cover their header too: a hand-edited class count is caught here.
  if (const auto stored = file.metadata.find(kHeaderChecksumKey); stored != file.metadata.end()) {
    const std::string rest = without_header_checksum(header, stored->second);
    std::size_t end = rest.size();
    while (end > 0 && rest[end - 1] == ' ') --end;  // the padding
    const std::string computed = crc32c_hex(crc32c(rest.data(), end, 0));
    if (rest.empty() || computed != stored->second)
      bad_file(path, concat("corrupt: the header's CRC-32C is ", computed, ", the header says ",
                            stored->second));
    file.header_checksum = true;
    file.metadata.erase(stored);
  }
  return layout;
}

}  // namespace

SafetensorsFile read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::move(read_layout(in, path).file);
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Layout layout = read_layout(in, path);
  SafetensorsFile& file = layout.file;
  for (const Range& r : layout.ranges) {
    StoredTensor& t = file.tensors[r.index];
    t.bytes.resize(r.end - r.begin);
    in.seekg(static_cast<std::streamoff>(layout.data_start + r.begin));
    in.read(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
    if (!in) bad_file(path, concat("cannot read tensor '", t.name, "'"));
  }
  std::vector<StoredTensor> ordered;
  for (const Range& r : layout.ranges) ordered.push_back(std::move(file.tensors[r.index]));
  file.tensors = std::move(ordered);
  // Files written elsewhere (PyTorch's own) carry no checksum and are taken as they are.
  if (const auto stored = file.metadata.find(kChecksumKey); stored != file.metadata.end()) {
    const std::string computed = crc32c_hex(data_checksum(file.tensors));
    if (stored->second != computed)
      bad_file(path, concat("corrupt: the data's CRC-32C is ", computed, ", the header says ",
                            stored->second));
    file.metadata.erase(stored);
  }
  return std::move(file);
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  const std::string header = header_json(file);
  AtomicFile out(path);
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));
  out.write(length, 8);
  out.write(header.data(), header.size());
  for (const StoredTensor& t : file.tensors) out.write(t.bytes.data(), t.bytes.size());
  out.commit();
}

}  // namespace unet3d
