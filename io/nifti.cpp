// NIfTI reading and writing through nifticlib, with the header checks nifticlib skips.
#include "io/nifti.h"

#include <nifti2_io.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/stderr_capture.h"

namespace unet3d {
namespace {

// A library message's first line (without its newline).
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

[[noreturn]] void data_error(const std::string& path, const std::string& what) {
  throw_error(ErrorKind::data, concat(path, ": ", what), __FILE__, __LINE__);
}

struct NiftiDeleter {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};
using NiftiImage = std::unique_ptr<nifti_image, NiftiDeleter>;

std::uint32_t swapped(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

// The field of type T at byte `offset` of a header, `swap`ped where the file's byte order is not
// this machine's.
template <class T>
T field(const unsigned char* header, int offset, bool swap) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, header + offset, sizeof(T));
  if (swap) std::reverse(bytes, bytes + sizeof(T));
  T v;
  std::memcpy(&v, bytes, sizeof(T));
  return v;
}

// The checks nifticlib does not make: the header's size field and its magic string, its
// dimensions, voxel sizes and the numbers of the voxel-to-world maps in use.
void check_header(const std::string& path) {
  znzFile file = znzopen(path.c_str(), "rb", 1);
  if (file == nullptr) data_error(path, "cannot open it");
  unsigned char header[544] = {};
  const std::size_t got = znzread(header, 1, sizeof header, file);
  znzclose(file);
  if (got > sizeof header)  // gzread's -1
    data_error(path, "its gzip stream is corrupt (a CRC or format error in its header)");
  if (got < 348)
    data_error(path, concat("truncated: ", got, " bytes, shorter than any NIfTI header"));
  std::uint32_t size;
  std::memcpy(&size, header, 4);
  const bool swap = size != 348 && size != 540;
  if (swap) size = swapped(size);
  // Fields of either version in this machine's byte order: NIfTI-1 stores them narrower (int16
  // dims and codes, float reals), NIfTI-2 wider (int64 dims, int32 codes, double reals).
  const bool one = size == 348;
  const auto dim = [&](int k) -> std::int64_t {
    return one ? field<std::int16_t>(header, 40 + 2 * k, swap)
               : field<std::int64_t>(header, 16 + 8 * k, swap);
  };
  const auto real = [&](int offset1, int offset2) -> double {
    return one ? field<float>(header, offset1, swap) : field<double>(header, offset2, swap);
  };
  const auto code = [&](int offset1, int offset2) -> std::int32_t {
    return one ? field<std::int16_t>(header, offset1, swap)
               : field<std::int32_t>(header, offset2, swap);
  };
  if (size == 348) {
    if (std::memcmp(header + 344, "n+1\0", 4) != 0)
      data_error(path, "not a single-file NIfTI-1 image (magic is not \"n+1\")");
  } else if (size == 540) {
    if (got < 540) data_error(path, "truncated NIfTI-2 header");
    if (std::memcmp(header + 4, "n+2\0\r\n\032\n", 8) != 0)
      data_error(path, "not a NIfTI-2 image (bad magic)");
  } else {
    data_error(path, concat("not NIfTI: header size field ", size, " (expected 348 or 540)"));
  }
  for (int axis = 1; axis <= 3; ++axis)
    if (dim(axis) < 1)
      data_error(path, concat("zero-sized dimension ", axis, " (dim = [", dim(1), ", ", dim(2),
                              ", ", dim(3), "])"));
  // pixdim[k] of the header: nifticlib turns 0 and NaN into 1 mm without a word, which would
  // give every distance and volume in invented millimetres.
  const auto pixdim = [&](int k) { return real(76 + 4 * k, 104 + 8 * k); };
  const std::int64_t spatial = std::clamp<std::int64_t>(dim(0), 1, 3);
  for (int axis = 1; axis <= spatial; ++axis)
    if (const double mm = pixdim(axis); !(std::isfinite(mm) && mm > 0))
      data_error(path, concat("its voxel size along ", "xyz"[axis - 1], " (pixdim[", axis, "]) is ",
                              mm, ", not a finite positive number of millimetres"));
  // NaN or infinite numbers in a voxel-to-world map in use: nifticlib reads the qform's as 0 and
  // copies the sform's into every result written on this grid.
  const auto finite_fields = [&](int offset1, int offset2, int count) {
    for (int k = 0; k < count; ++k)
      if (!std::isfinite(real(offset1 + 4 * k, offset2 + 8 * k))) return false;
    return true;
  };
  if (code(252, 344) > 0 && !finite_fields(256, 352, 6))
    data_error(path, "its qform (quatern_b/c/d, qoffset_x/y/z) holds NaN or infinite values");
  if (code(254, 348) > 0 && !finite_fields(280, 400, 12))
    data_error(path, "its sform (srow_x, srow_y, srow_z) holds NaN or infinite values");
}

template <class T>
void convert(const void* data, std::int64_t n, float* out) {
  const T* in = static_cast<const T*>(data);
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

// Copies the first n values of `image` as float; false for a datatype this project cannot use.
bool to_float(int datatype, const void* data, std::int64_t n, float* out, bool& integer) {
  integer = true;
  switch (datatype) {
    case NIFTI_TYPE_UINT8: convert<std::uint8_t>(data, n, out); return true;
    case NIFTI_TYPE_INT8: convert<std::int8_t>(data, n, out); return true;
    case NIFTI_TYPE_UINT16: convert<std::uint16_t>(data, n, out); return true;
    case NIFTI_TYPE_INT16: convert<std::int16_t>(data, n, out); return true;
    case NIFTI_TYPE_UINT32: convert<std::uint32_t>(data, n, out); return true;
    case NIFTI_TYPE_INT32: convert<std::int32_t>(data, n, out); return true;
    case NIFTI_TYPE_UINT64: convert<std::uint64_t>(data, n, out); return true;
    case NIFTI_TYPE_INT64: convert<std::int64_t>(data, n, out); return true;
    case NIFTI_TYPE_FLOAT32:
      integer = false;
      convert<float>(data, n, out);
      return true;
    case NIFTI_TYPE_FLOAT64:
      integer = false;
      convert<double>(data, n, out);
      return true;
    default: return false;
  }
}

// The last 4 bytes of a file, little-endian: a gzip stream's trailer ends with the size of what
// it holds (mod 2^32). None where the file is shorter or unreadable.
std::optional<std::uint32_t> gzip_size_field(const std::string& path) {
  std::ifstream raw(path, std::ios::binary | std::ios::ate);
  if (!raw || raw.tellg() < 4) return std::nullopt;
  raw.seekg(-4, std::ios::end);
  unsigned char isize[4] = {};
  raw.read(reinterpret_cast<char*>(isize), 4);
  if (!raw) return std::nullopt;
  return isize[0] | (isize[1] << 8) | (isize[2] << 16) |
         (static_cast<std::uint32_t>(isize[3]) << 24);
}

// The bytes a written file gives back, decompressed; for gzip also the stream's trailer must hold
// the size (a stream cut inside its trailer still decompresses whole).
std::uint64_t readable_bytes(const std::string& path, std::uint64_t expected) {
  const bool compressed = path.ends_with(".gz");
  znzFile file = znzopen(path.c_str(), "rb", compressed ? 1 : 0);
  if (file == nullptr) return 0;
  std::vector<char> chunk(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    const std::size_t n = znzread(chunk.data(), 1, chunk.size(), file);
    if (n == 0) break;
    if (n > chunk.size()) {  // gzread's -1: a corrupt stream
      total = 0;
      break;
    }
    total += n;
  }
  znzclose(file);
  if (!compressed || total != expected) return total;
  return gzip_size_field(path) == static_cast<std::uint32_t>(expected) ? total : 0;
}

// The header, after the checks nifticlib skips; `warn` for a 4-D file, whose first volume is used.
NiftiImage checked_header(const std::string& path, bool warn) {
  require_regular_file(path);
  check_header(path);
  nifti_set_debug_level(0);    // its messages would only repeat ours
  StderrCapture library_says;  // what it prints anyway, quoted in ours
  NiftiImage header(nifti_image_read(path.c_str(), 0));
  const std::string said = library_says.release();
  if (!header)
    data_error(path, concat("nifticlib cannot read its header",
                            said.empty() ? "" : concat(" (", first_line(said), ")")));
  for (int axis = 5; axis <= 7; ++axis)
    if (header->dim[0] >= axis && header->dim[axis] > 1)
      data_error(path, concat("dimension ", axis, " has size ", header->dim[axis],
                              "; only 3-D volumes and 4-D series are read"));
  if (warn && header->dim[0] >= 4 && header->dim[4] > 1)
    log_warn(path, ": holds ", header->dim[4], " volumes; using the first");
  return header;
}

// The first volume's bytes in this machine's byte order, read by the project rather than by
// nifticlib: nifticlib allocates what the header claims before it reads (a corrupt header of a
// tiny file asks for terabytes) and replaces NaN and infinite values by 0 as it reads (which
// would hide them). Read in chunks, a lying header costs no more memory than the file holds.
std::vector<unsigned char> first_volume_bytes(const std::string& path, const nifti_image& header) {
  std::uint64_t wanted = 0;
  const std::uint64_t voxels = static_cast<std::uint64_t>(header.nx) *
                               static_cast<std::uint64_t>(header.ny) *
                               static_cast<std::uint64_t>(header.nz);
  if (__builtin_mul_overflow(voxels, static_cast<std::uint64_t>(header.nbyper), &wanted))
    data_error(path, "its dimensions overflow 64 bits");
  znzFile file = znzopen(path.c_str(), "rb", nifti_is_gzfile(path.c_str()));
  if (file == nullptr) data_error(path, "cannot open it");
  std::vector<unsigned char> bytes;
  // Room for the whole volume at once where the file holds it (growing in chunks would hold the
  // old and the doubled capacity together: up to three times the volume). A gzip file holds it
  // where its trailer's size (mod 2^32) is the header's and deflate could pack that much into
  // the file (at most 1032 bytes into one); a lying header grows in chunks as before.
  std::error_code error;
  const std::uint64_t file_bytes = std::filesystem::file_size(path, error);
  std::uint64_t holdable = error ? 0 : file_bytes;
  if (nifti_is_gzfile(path.c_str())) {
    const std::uint64_t described =
        static_cast<std::uint64_t>(std::max<std::int64_t>(header.iname_offset, 0)) +
        static_cast<std::uint64_t>(header.nvox) * static_cast<std::uint64_t>(header.nbyper);
    const bool trailer_agrees = gzip_size_field(path) == static_cast<std::uint32_t>(described);
    holdable = trailer_agrees ? std::min(wanted, file_bytes * 1032) : 0;
  }
  bytes.reserve(static_cast<std::size_t>(std::min(wanted, holdable)));
  bool corrupt = false;  // gzread's -1: a CRC or format error in the stream
  // gzseek answers the new offset, fseek 0: only a negative answer is a failure.
  if (header.iname_offset >= 0 &&
      znzseek(file, static_cast<long>(header.iname_offset), SEEK_SET) >= 0) {
    constexpr std::uint64_t kChunk = std::uint64_t{1} << 24;
    while (bytes.size() < wanted) {
      const std::size_t old = bytes.size();
      const auto chunk = static_cast<std::size_t>(std::min(wanted - old, kChunk));
      bytes.resize(old + chunk);
      const std::size_t got = znzread(bytes.data() + old, 1, chunk, file);
      corrupt = got > chunk;
      bytes.resize(old + (corrupt ? 0 : got));
      if (got == 0 || corrupt) break;
    }
  }
  // A single volume read whole: one more read reaches the stream's end, where gzip checks its
  // CRC (a 4-D file's later volumes are not read, nor checked).
  const bool single = header.dim[0] < 4 || header.dim[4] <= 1;
  unsigned char past[1];
  std::size_t after = 1;  // bytes read past the volume: 0 at the stream's end
  if (!corrupt && bytes.size() == wanted && single) {
    after = znzread(past, 1, 1, file);
    corrupt = after > 1;
  }
  const long uncompressed = znztell(file);
  znzclose(file);
  if (corrupt)
    data_error(path, concat("its gzip stream is corrupt (a CRC or format error after ",
                            bytes.size(), " bytes of data)"));
  if (after == 0 && nifti_is_gzfile(path.c_str()) && uncompressed > 0) {
    // Bytes after the stream are skipped by zlib without a word; the trailer then is not the
    // stream's (0: a multi-part BGZF file's empty last part, which is fine; a stream of several
    // parts whose last holds data is warned of too).
    const std::optional<std::uint32_t> size_field = gzip_size_field(path);
    if (size_field && *size_field != 0 &&
        *size_field != static_cast<std::uint32_t>(static_cast<std::uint64_t>(uncompressed)))
      log_warn(path, ": the file does not end with its gzip stream's trailer (bytes after the ",
               "stream, or a stream of several parts?); anything after the stream is ignored");
  }
  if (bytes.size() < wanted)
    data_error(path,
               concat("truncated: its header describes ", wanted, " bytes of data after byte ",
                      header.iname_offset, ", the file holds ", bytes.size()));
  if (header.byteorder != nifti_short_order() && header.swapsize > 1)
    nifti_swap_Nbytes(static_cast<std::size_t>(voxels), header.swapsize, bytes.data());
  return bytes;
}

NiftiGeometry geometry_of(const nifti_image& image) {
  NiftiGeometry g;
  g.nx = image.nx, g.ny = image.ny, g.nz = image.nz;
  g.dx = image.dx, g.dy = image.dy, g.dz = image.dz;
  g.xyz_units = image.xyz_units;
  g.qform_code = image.qform_code, g.sform_code = image.sform_code;
  g.quatern_b = image.quatern_b, g.quatern_c = image.quatern_c, g.quatern_d = image.quatern_d;
  g.qfac = image.qfac;
  g.qoffset_x = image.qoffset_x, g.qoffset_y = image.qoffset_y, g.qoffset_z = image.qoffset_z;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = image.sto_xyz.m[r][c];
  return g;
}

}  // namespace

void require_regular_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status target = fs::status(path, error);  // through symbolic links
  if (fs::is_regular_file(target)) return;
  if (fs::is_symlink(fs::symlink_status(path, error)) && !fs::exists(target))
    data_error(path, concat("a symbolic link to ", fs::read_symlink(path, error).string(),
                            ", which does not exist"));
  if (fs::is_directory(target)) data_error(path, "is a folder, not a NIfTI file");
  if (fs::is_fifo(target)) data_error(path, "is a FIFO (named pipe), not a file");
  if (!fs::exists(target)) data_error(path, "no such file");
  data_error(path, "is not a regular file (a socket or a device)");
}

NiftiGeometry read_nifti_geometry(const std::string& path) {
  return geometry_of(*checked_header(path, false));
}

NiftiGeometry read_nifti_geometry(const std::string& path, std::int64_t& voxel_bytes) {
  const NiftiImage header = checked_header(path, false);
  voxel_bytes = header->nbyper;
  return geometry_of(*header);
}

NiftiVolume read_nifti(const std::string& path) {
  const NiftiImage header = checked_header(path, true);
  NiftiVolume v;
  v.geometry = geometry_of(*header);
  v.datatype = header->datatype;
  const std::int64_t n = v.geometry.voxels();
  // n = 0 converts nothing: whether the datatype is one this project reads, before any data.
  if (!to_float(header->datatype, nullptr, 0, nullptr, v.integer_type))
    data_error(path, concat("unsupported datatype ", nifti_datatype_string(header->datatype),
                            " (code ", header->datatype, ")"));
  const std::vector<unsigned char> bytes = first_volume_bytes(path, *header);
  v.values.resize(static_cast<std::size_t>(n));
  to_float(header->datatype, bytes.data(), n, v.values.data(), v.integer_type);
  const auto nonfinite = [&] {
    return std::count_if(v.values.begin(), v.values.end(),
                         [](float x) { return !std::isfinite(x); });
  };
  if (const auto bad = nonfinite(); bad > 0) {
    // float64 voxels that are finite but beyond float32's range are not NaN or infinite.
    std::int64_t beyond = 0;
    if (header->datatype == NIFTI_TYPE_FLOAT64)
      for (std::int64_t i = 0; i < n; ++i) {
        double x;
        std::memcpy(&x, bytes.data() + i * 8, 8);
        beyond += std::isfinite(x) && !std::isfinite(v.values[static_cast<std::size_t>(i)]);
      }
    if (beyond > 0)
      data_error(path, concat(beyond, " of its ", n, " float64 voxels are beyond float32's range ",
                              "(magnitude above 3.4e38)"));
    data_error(path, concat(bad, " of its ", n, " voxels are NaN or infinite"));
  }
  // scl_slope 0 (or not finite) means unscaled, as the standard says.
  const double slope = header->scl_slope, inter = header->scl_inter;
  if (slope != 0 && std::isfinite(slope) && std::isfinite(inter) && (slope != 1 || inter != 0)) {
    for (float& x : v.values) x = static_cast<float>(x * slope + inter);
    v.integer_type = v.integer_type && slope == std::round(slope) && inter == std::round(inter);
    if (const auto bad = nonfinite(); bad > 0)
      data_error(path, concat(bad, " of its ", n, " voxels are beyond float32's range once ",
                              "scaled by scl_slope ", slope, " and scl_inter ", inter));
  }
  return v;
}

void write_nifti(const std::string& path, const NiftiGeometry& g, const void* data,
                 NiftiStorage storage, std::int64_t channels) {
  AtomicFile out(path);
  write_nifti(out, g, data, storage, channels);
  out.commit();
}

void write_nifti(AtomicFile& out, const NiftiGeometry& g, const void* data, NiftiStorage storage,
                 std::int64_t channels) {
  const std::string& path = out.path();
  const int64_t dims[8] = {channels > 1 ? 4 : 3, g.nx, g.ny, g.nz, channels, 1, 1, 1};
  const int datatype = storage == NiftiStorage::u8    ? NIFTI_TYPE_UINT8
                       : storage == NiftiStorage::i16 ? NIFTI_TYPE_INT16
                                                      : NIFTI_TYPE_FLOAT32;
  const std::size_t element = storage == NiftiStorage::u8    ? 1
                              : storage == NiftiStorage::i16 ? 2
                                                             : 4;
  NiftiImage image(nifti_make_new_nim(dims, datatype, 0));
  if (!image)
    throw_error(ErrorKind::runtime, concat("cannot create a NIfTI image for ", path), __FILE__,
                __LINE__);
  image->dx = image->pixdim[1] = g.dx;
  image->dy = image->pixdim[2] = g.dy;
  image->dz = image->pixdim[3] = g.dz;
  image->xyz_units = g.xyz_units;
  image->qform_code = g.qform_code;
  image->sform_code = g.sform_code;
  image->quatern_b = g.quatern_b, image->quatern_c = g.quatern_c, image->quatern_d = g.quatern_d;
  image->qfac = g.qfac;
  image->qoffset_x = g.qoffset_x, image->qoffset_y = g.qoffset_y, image->qoffset_z = g.qoffset_z;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) image->sto_xyz.m[r][c] = g.srow[r][c];
  image->scl_slope = 0;
  image->scl_inter = 0;
  if (nifti_set_filenames(image.get(), out.temporary().c_str(), 0, 1) != 0)
    out.fail("not a .nii or .nii.gz name");
  image->data = const_cast<void*>(data);
  nifti_set_debug_level(0);
  StderrCapture library_says;  // its "** ERROR" lines, quoted in ours
  nifti_image_write(image.get());
  const std::string said = library_says.release();
  image->data = nullptr;  // not ours to free
  // nifti_image_write reports failure only on stderr: read back what landed.
  const std::uint64_t expected = static_cast<std::uint64_t>(image->iname_offset) +
                                 static_cast<std::uint64_t>(g.voxels() * channels) * element;
  const std::uint64_t landed = readable_bytes(out.temporary(), expected);
  if (landed != expected)
    out.fail(concat("only ", landed, " of its ", expected,
                    " bytes could be read back (disk full or a file-size limit?)",
                    said.empty() ? "" : concat("; nifticlib: ", first_line(said))));
  if (!said.empty()) log_debug("nifticlib, writing ", out.path(), ": ", said);
}

}  // namespace unet3d
