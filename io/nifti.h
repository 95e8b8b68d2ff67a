// NIfTI volumes through nifticlib (docs/data.md): NIfTI-1 or NIfTI-2, .nii or .nii.gz, every
// integer and float datatype, scl_slope/scl_inter applied, values handed out as f32 with x
// fastest (tensor order D, H, W = k, j, i: no transpose, no reorientation). Writing keeps the
// grid, voxel sizes, qform and sform of a reference volume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/atomic_file.h"
#include "runtime/dtype.h"

namespace unet3d {

// Where a volume sits in space: enough to write a result on the grid it was read from.
struct NiftiGeometry {
  std::int64_t nx = 1, ny = 1, nz = 1;
  double dx = 1, dy = 1, dz = 1;
  int xyz_units = 0;
  int qform_code = 0, sform_code = 0;
  double quatern_b = 0, quatern_c = 0, quatern_d = 0, qfac = 1;
  double qoffset_x = 0, qoffset_y = 0, qoffset_z = 0;
  double srow[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};

  std::int64_t voxels() const { return nx * ny * nz; }
};

struct NiftiVolume {
  NiftiGeometry geometry;
  std::vector<float> values;  // nx * ny * nz per channel, x fastest, scaling applied
  int datatype = 0;           // the file's NIFTI_TYPE_* code
  bool integer_type = false;  // the file stores integers (before any scaling)
  // Volumes held in `values`, one after the other (channel c at c * voxels): read_nifti gives
  // one, read_channels (io/dataset.h) one per channel file of a case.
  std::int64_t channels = 1;
};

// Reads the first 3-D volume of a file. A data Error names the file and the fault: not a regular
// file (require_regular_file), not NIfTI (size field or magic), truncated, a corrupt gzip stream,
// unsupported datatype, zero-sized dimension, a voxel size that is not a finite positive number,
// NaN or infinite numbers in the qform or sform, NaN or infinite voxels (with their count; float64
// ones beyond float32's range, or beyond it once scaled, are said so). Several volumes in a 4-D
// file: the first is used, with a warning; bytes after a gzip stream: a warning.
NiftiVolume read_nifti(const std::string& path);

// A data Error naming `path` unless it is a regular file (through symbolic links), saying what it
// is instead: missing, a dangling symbolic link, a folder, a FIFO, a socket or a device.
void require_regular_file(const std::string& path);

// The grid of a file from its header alone, with the same header checks (no data is read).
NiftiGeometry read_nifti_geometry(const std::string& path);
// The same with the bytes one stored voxel takes (its datatype's size: 2 for int16).
NiftiGeometry read_nifti_geometry(const std::string& path, std::int64_t& voxel_bytes);

// What a written file stores: label maps, scanner-like intensities, probabilities.
enum class NiftiStorage { u8, i16, f32 };

// Writes `channels` volumes on `geometry`'s grid (a 4-D file when channels > 1, the channel
// index slowest: x, y, z, c), no scaling, through an AtomicFile: the file is read back (its gzip
// stream whole) before it is renamed into place. A runtime Error naming the file if it cannot.
void write_nifti(const std::string& path, const NiftiGeometry& geometry, const void* data,
                 NiftiStorage storage, std::int64_t channels = 1);
// The same into `out`, left for the caller to commit (files that must appear together).
void write_nifti(AtomicFile& out, const NiftiGeometry& geometry, const void* data,
                 NiftiStorage storage, std::int64_t channels = 1);

}  // namespace unet3d
