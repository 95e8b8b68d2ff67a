// NIfTI reading and writing through nifticlib, with the header checks nifticlib skips.
#include "io/nifti.h"

#include <nifti2_io.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

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

// The checks nifticlib does not make: the header's size field and its magic string.
void check_header(const std::string& path) {
  znzFile file = znzopen(path.c_str(), "rb", 1);
  if (file == nullptr) data_error(path, "cannot open it");
  unsigned char header[544] = {};
  const std::size_t got = znzread(header, 1, sizeof header, file);
  znzclose(file);
  if (got < 348)
    data_error(path, concat("truncated: ", got, " bytes, shorter than any NIfTI header"));
  std::uint32_t size;
  std::memcpy(&size, header, 4);
  const bool swap = size != 348 && size != 540;
  if (swap) size = swapped(size);
  // dim[k] of the header, whichever version and byte order.
  const auto dim = [&](int k) -> std::int64_t {
    unsigned char bytes[8] = {};
    const int width = size == 348 ? 2 : 8;
    std::memcpy(bytes, header + (size == 348 ? 40 : 16) + width * k,
                static_cast<std::size_t>(width));
    if (swap) std::reverse(bytes, bytes + width);
    if (width == 2) {
      std::int16_t v;
      std::memcpy(&v, bytes, 2);
      return v;
    }
    std::int64_t v;
    std::memcpy(&v, bytes, 8);
    return v;
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
}

template <class T>
void convert(const void* data, std::int64_t n, float* out) {
  const T* in = static_cast<const T*>(data);
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

// Copies the first n values of `image` as float; false for a datatype this project cannot use.
bool to_float(const nifti_image& image, std::int64_t n, float* out, bool& integer) {
  integer = true;
  switch (image.datatype) {
    case NIFTI_TYPE_UINT8: convert<std::uint8_t>(image.data, n, out); return true;
    case NIFTI_TYPE_INT8: convert<std::int8_t>(image.data, n, out); return true;
    case NIFTI_TYPE_UINT16: convert<std::uint16_t>(image.data, n, out); return true;
    case NIFTI_TYPE_INT16: convert<std::int16_t>(image.data, n, out); return true;
    case NIFTI_TYPE_UINT32: convert<std::uint32_t>(image.data, n, out); return true;
    case NIFTI_TYPE_INT32: convert<std::int32_t>(image.data, n, out); return true;
    case NIFTI_TYPE_UINT64: convert<std::uint64_t>(image.data, n, out); return true;
    case NIFTI_TYPE_INT64: convert<std::int64_t>(image.data, n, out); return true;
    case NIFTI_TYPE_FLOAT32:
      integer = false;
      convert<float>(image.data, n, out);
      return true;
    case NIFTI_TYPE_FLOAT64:
      integer = false;
      convert<double>(image.data, n, out);
      return true;
    default: return false;
  }
}

}  // namespace

NiftiVolume read_nifti(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) data_error(path, "no such file");
  check_header(path);
  nifti_set_debug_level(0);  // its messages would only repeat ours
  NiftiImage header(nifti_image_read(path.c_str(), 0));
  if (!header) data_error(path, "nifticlib cannot read its header");
  for (int axis = 5; axis <= 7; ++axis)
    if (header->dim[0] >= axis && header->dim[axis] > 1)
      data_error(path, concat("dimension ", axis, " has size ", header->dim[axis],
                              "; only 3-D volumes and 4-D series are read"));
  if (header->dim[0] >= 4 && header->dim[4] > 1)
    log_warn(path, ": holds ", header->dim[4], " volumes; using the first");

  NiftiImage image(nifti_image_read(path.c_str(), 1));
  if (!image || image->data == nullptr)
    data_error(path, "cannot read its data (truncated or corrupt)");

  NiftiVolume v;
  NiftiGeometry& g = v.geometry;
  g.nx = image->nx, g.ny = image->ny, g.nz = image->nz;
  g.dx = image->dx, g.dy = image->dy, g.dz = image->dz;
  g.xyz_units = image->xyz_units;
  g.qform_code = image->qform_code, g.sform_code = image->sform_code;
  g.quatern_b = image->quatern_b, g.quatern_c = image->quatern_c, g.quatern_d = image->quatern_d;
  g.qfac = image->qfac;
  g.qoffset_x = image->qoffset_x, g.qoffset_y = image->qoffset_y, g.qoffset_z = image->qoffset_z;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = image->sto_xyz.m[r][c];
  v.datatype = image->datatype;
  v.values.resize(static_cast<std::size_t>(g.voxels()));
  if (!to_float(*image, g.voxels(), v.values.data(), v.integer_type))
    data_error(path, concat("unsupported datatype ", nifti_datatype_string(image->datatype),
                            " (code ", image->datatype, ")"));
  // scl_slope 0 (or not finite) means unscaled, as the standard says.
  const double slope = image->scl_slope, inter = image->scl_inter;
  if (slope != 0 && std::isfinite(slope) && std::isfinite(inter) && (slope != 1 || inter != 0)) {
    for (float& x : v.values) x = static_cast<float>(x * slope + inter);
    v.integer_type = v.integer_type && slope == std::round(slope) && inter == std::round(inter);
  }
  return v;
}

void write_nifti(const std::string& path, const NiftiGeometry& g, const void* data,
                 NiftiStorage storage, std::int64_t channels) {
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
  if (nifti_set_filenames(image.get(), path.c_str(), 0, 1) != 0)
    throw_error(ErrorKind::runtime, concat("cannot write ", path, ": not a .nii or .nii.gz name"),
                __FILE__, __LINE__);
  image->data = const_cast<void*>(data);
  nifti_set_debug_level(0);
  nifti_image_write(image.get());
  image->data = nullptr;  // not ours to free
  // nifti_image_write reports failure only on stderr: check what landed.
  const auto expected = static_cast<std::uintmax_t>(g.voxels() * channels) * element;
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  const bool compressed = path.ends_with(".gz");
  if (error || (!compressed && size < expected) || size == 0)
    throw_error(ErrorKind::runtime,
                concat("cannot write ", path, " (folder missing or disk full?)"), __FILE__,
                __LINE__);
}

}  // namespace unet3d
