// Grid comparison and orientation, on nifticlib's quaternion and orientation arithmetic.
#include "io/nifti_geometry.h"

#include <nifti2_io.h>

#include <algorithm>
#include <cmath>

#include "runtime/error.h"

namespace unet3d {
namespace {

double column_norm(const Affine& a, int j) {
  return std::sqrt(a.m[0][j] * a.m[0][j] + a.m[1][j] * a.m[1][j] + a.m[2][j] * a.m[2][j]);
}

std::string triple(double x, double y, double z) {
  return concat(x, "x", y, "x", z);
}

}  // namespace

Affine affine_of(const NiftiGeometry& g) {
  Affine a{};
  if (g.sform_code > 0) {
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) a.m[r][c] = g.srow[r][c];
  } else if (g.qform_code > 0) {
    const nifti_dmat44 q =
        nifti_quatern_to_dmat44(g.quatern_b, g.quatern_c, g.quatern_d, g.qoffset_x, g.qoffset_y,
                                g.qoffset_z, g.dx, g.dy, g.dz, g.qfac);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) a.m[r][c] = q.m[r][c];
  } else {
    a.m[0][0] = g.dx, a.m[1][1] = g.dy, a.m[2][2] = g.dz;
  }
  return a;
}

std::string grid_difference(const NiftiGeometry& a, const NiftiGeometry& b) {
  if (a.nx != b.nx || a.ny != b.ny || a.nz != b.nz)
    return concat("dimensions ", a.nx, "x", a.ny, "x", a.nz, " vs ", b.nx, "x", b.ny, "x", b.nz);
  const double size_gap =
      std::max({std::abs(a.dx - b.dx), std::abs(a.dy - b.dy), std::abs(a.dz - b.dz)});
  if (size_gap > kSameGridMillimetres)
    return concat("voxel size ", triple(a.dx, a.dy, a.dz), " vs ", triple(b.dx, b.dy, b.dz), " mm");
  const Affine p = affine_of(a), q = affine_of(b);
  double scale_gap = 0, rotation_gap = 0;
  for (int j = 0; j < 3; ++j) {
    const double np = column_norm(p, j), nq = column_norm(q, j);
    scale_gap = std::max(scale_gap, std::abs(np - nq));
    for (int r = 0; r < 3; ++r)
      if (np > 0 && nq > 0)
        rotation_gap = std::max(rotation_gap, std::abs(p.m[r][j] / np - q.m[r][j] / nq));
  }
  if (scale_gap > kSameGridMillimetres)
    return concat("voxel size in the affine ",
                  triple(column_norm(p, 0), column_norm(p, 1), column_norm(p, 2)), " vs ",
                  triple(column_norm(q, 0), column_norm(q, 1), column_norm(q, 2)), " mm");
  if (rotation_gap > kSameGridRotation)
    return concat("orientation ", orientation_of(a), " vs ", orientation_of(b),
                  " (direction cosines up to ", rotation_gap, " apart)");
  const double dx = p.m[0][3] - q.m[0][3], dy = p.m[1][3] - q.m[1][3], dz = p.m[2][3] - q.m[2][3];
  const double moved = std::sqrt(dx * dx + dy * dy + dz * dz);
  if (moved > kSameGridMillimetres)
    return concat("origin (", triple(p.m[0][3], p.m[1][3], p.m[2][3]), ") vs (",
                  triple(q.m[0][3], q.m[1][3], q.m[2][3]), ") mm, ", moved, " mm apart");
  return "";
}

void require_volume(const std::string& path, const NiftiGeometry& g) {
  if (g.nx == 1 || g.ny == 1 || g.nz == 1)
    throw_error(ErrorKind::data,
                concat(path, ": a 2-D image (", g.nx, "x", g.ny, "x", g.nz,
                       " voxels); the network segments 3-D volumes"),
                __FILE__, __LINE__);
}

std::string orientation_of(const NiftiGeometry& g) {
  const Affine a = affine_of(g);
  nifti_dmat44 m{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) m.m[r][c] = a.m[r][c];
  m.m[3][3] = 1;
  int codes[3] = {};
  nifti_dmat44_to_orientation(m, &codes[0], &codes[1], &codes[2]);
  std::string letters;
  for (const int code : codes) {
    // Each code names the direction an axis runs, from and to; the letter is where it points.
    switch (code) {
      case NIFTI_L2R: letters += 'R'; break;
      case NIFTI_R2L: letters += 'L'; break;
      case NIFTI_P2A: letters += 'A'; break;
      case NIFTI_A2P: letters += 'P'; break;
      case NIFTI_I2S: letters += 'S'; break;
      case NIFTI_S2I: letters += 'I'; break;
      default: letters += '?';
    }
  }
  return letters;
}

}  // namespace unet3d
