// NIfTI files for tests, written with nifticlib.
#include "tests/support/nifti_files.h"

#include <nifti2_io.h>

#include <filesystem>
#include <stdexcept>

namespace unet3d::testing {
namespace {

template <class T>
void fill(void* data, const std::vector<double>& values) {
  T* out = static_cast<T*>(data);
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<T>(values[i]);
}

}  // namespace

void write_raw_nifti(const std::string& path, const RawVolume& v) {
  const int64_t dims[8] = {v.nt > 1 ? 4 : 3, v.nx, v.ny, v.nz, v.nt, 1, 1, 1};
  nifti_image* image = nifti_make_new_nim(dims, v.datatype, 1);
  if (image == nullptr) throw std::runtime_error("nifti_make_new_nim failed for " + path);
  switch (v.datatype) {
    case NIFTI_TYPE_UINT8: fill<std::uint8_t>(image->data, v.values); break;
    case NIFTI_TYPE_INT8: fill<std::int8_t>(image->data, v.values); break;
    case NIFTI_TYPE_UINT16: fill<std::uint16_t>(image->data, v.values); break;
    case NIFTI_TYPE_INT16: fill<std::int16_t>(image->data, v.values); break;
    case NIFTI_TYPE_UINT32: fill<std::uint32_t>(image->data, v.values); break;
    case NIFTI_TYPE_INT32: fill<std::int32_t>(image->data, v.values); break;
    case NIFTI_TYPE_UINT64: fill<std::uint64_t>(image->data, v.values); break;
    case NIFTI_TYPE_INT64: fill<std::int64_t>(image->data, v.values); break;
    case NIFTI_TYPE_FLOAT32: fill<float>(image->data, v.values); break;
    case NIFTI_TYPE_FLOAT64: fill<double>(image->data, v.values); break;
    default: break;  // other types keep the zeros nifticlib allocated
  }
  image->scl_slope = v.slope;
  image->scl_inter = v.inter;
  image->dx = image->pixdim[1] = 1.5;
  image->dy = image->pixdim[2] = 1.5;
  image->dz = image->pixdim[3] = 2.5;
  nifti_set_filenames(image, path.c_str(), 0, 1);
  nifti_image_write(image);
  nifti_image_free(image);
}

void write_small_pair(const std::string& image, const std::string& label, int top_label) {
  std::filesystem::create_directories(std::filesystem::path(image).parent_path());
  std::filesystem::create_directories(std::filesystem::path(label).parent_path());
  RawVolume v;
  v.nx = 4, v.ny = 3, v.nz = 2, v.datatype = 2;
  for (int i = 0; i < 24; ++i) v.values.push_back(10 + i);
  write_raw_nifti(image, v);
  v.datatype = 16;
  for (int i = 0; i < 24; ++i) v.values[static_cast<std::size_t>(i)] = i % (top_label + 1);
  write_raw_nifti(label, v);
}

}  // namespace unet3d::testing
