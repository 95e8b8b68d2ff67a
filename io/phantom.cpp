// The synthetic pelvic phantom: analytic shapes (signed distances), soft boundaries, a bias
// field and noise.
#include "io/phantom.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/rng.h"

namespace unet3d {
namespace {

constexpr double kFieldOfView[3] = {410.0, 410.0, 320.0};  // mm, x y z
constexpr int kClasses = 6;

struct Ellipsoid {
  double cx, cy, cz, rx, ry, rz;
  // A signed distance in mm, approximately: negative inside.
  double distance(double x, double y, double z) const {
    const double k = std::sqrt(std::pow((x - cx) / rx, 2) + std::pow((y - cy) / ry, 2) +
                               std::pow((z - cz) / rz, 2));
    return (k - 1) * std::min({rx, ry, rz});
  }
};

// The anatomy of one scan: fixed per patient, shifted and refilled a little per week.
struct Anatomy {
  Ellipsoid body, bladder, prostate, femur_left, femur_right;
  double ring_z, ring_half_height, ring_rx, ring_ry, ring_thickness;
  double rectum_x, rectum_y, rectum_radius, rectum_z0, rectum_z1;
  double bias_phase[3];
};

Anatomy anatomy(const PhantomCase& c, std::uint64_t seed) {
  Rng patient(seed * 1000003 + static_cast<std::uint64_t>(c.patient));
  Rng week(seed * 1000003 + static_cast<std::uint64_t>(c.patient) * 97 +
           static_cast<std::uint64_t>(c.week) + 7);
  const auto jitter = [](Rng& r, double spread) { return r.uniform(-spread, spread); };
  Anatomy a;
  const double scale = 1 + jitter(patient, 0.08);
  a.body = {jitter(patient, 5), jitter(patient, 5), 0, 175 * scale, 120 * scale, 400};
  const double bz = 20 + jitter(patient, 10);
  const double fill = 1 + jitter(week, 0.25);  // the bladder fills differently each week
  a.bladder = {jitter(week, 4), 40 + jitter(week, 4), bz, 38 * fill, 30 * fill, 30 * fill};
  a.prostate = {
      jitter(week, 2), 28 + jitter(patient, 3), bz - 55 + jitter(week, 3), 30 * scale, 26 * scale,
      33 * scale};
  const double fz = bz - 45 + jitter(patient, 6);
  a.femur_left = {-95 * scale, jitter(patient, 4), fz, 24, 24, 24};
  a.femur_right = {95 * scale, jitter(patient, 4), fz, 24, 24, 24};
  a.ring_z = bz + 5;
  a.ring_half_height = 45;
  a.ring_rx = 115 * scale, a.ring_ry = 80 * scale, a.ring_thickness = 11;
  a.rectum_x = jitter(week, 3), a.rectum_y = -45 + jitter(patient, 4),
  a.rectum_radius = 16 + jitter(week, 3);
  a.rectum_z0 = bz - 110, a.rectum_z1 = bz + 40;
  for (double& p : a.bias_phase) p = patient.uniform(0, 6.283);
  return a;
}

// Per-class signed distances (negative inside) at a point, index = label.
void distances(const Anatomy& a, double x, double y, double z, double out[kClasses]) {
  out[0] = 0;
  out[1] = a.body.distance(x, y, z);
  const double ring = std::sqrt(std::pow(x / a.ring_rx, 2) + std::pow(y / a.ring_ry, 2)) - 1;
  const double ring_radial = std::abs(ring) * std::min(a.ring_rx, a.ring_ry) - a.ring_thickness / 2;
  const double ring_axial = std::abs(z - a.ring_z) - a.ring_half_height;
  out[2] = std::min({std::max(ring_radial, ring_axial), a.femur_left.distance(x, y, z),
                     a.femur_right.distance(x, y, z)});
  out[3] = a.bladder.distance(x, y, z);
  const double axial = std::hypot(x - a.rectum_x, y - a.rectum_y) - a.rectum_radius;
  out[4] = std::max(axial, std::max(a.rectum_z0 - z, z - a.rectum_z1));
  out[5] = a.prostate.distance(x, y, z);
}

}  // namespace

std::string PhantomCase::name() const {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "Case_%03d_Week%d", patient, week);
  return buffer;
}

NiftiVolume Phantom::image_volume() const {
  NiftiVolume v;
  v.geometry = geometry;
  v.values.assign(image.begin(), image.end());
  v.datatype = 4;  // int16
  v.integer_type = true;
  return v;
}

std::vector<PhantomCase> phantom_cases(int count, std::uint64_t seed) {
  std::vector<PhantomCase> cases;
  Rng rng(seed ^ 0x5EED);
  for (int patient = 1; static_cast<int>(cases.size()) < count; ++patient) {
    const int weeks = 1 + static_cast<int>(rng.below(4));
    for (int week = 0; week < weeks && static_cast<int>(cases.size()) < count; ++week)
      cases.push_back({patient, week});
  }
  return cases;
}

NiftiGeometry phantom_geometry(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  NiftiGeometry g;
  g.nx = nx, g.ny = ny, g.nz = nz;
  g.dx = kFieldOfView[0] / static_cast<double>(nx);
  g.dy = kFieldOfView[1] / static_cast<double>(ny);
  g.dz = kFieldOfView[2] / static_cast<double>(nz);
  g.xyz_units = 2;  // mm
  g.qform_code = g.sform_code = 1;
  g.qoffset_x = -kFieldOfView[0] / 2, g.qoffset_y = -kFieldOfView[1] / 2,
  g.qoffset_z = -kFieldOfView[2] / 2;
  const double row[3][4] = {
      {g.dx, 0, 0, g.qoffset_x}, {0, g.dy, 0, g.qoffset_y}, {0, 0, g.dz, g.qoffset_z}};
  std::copy(&row[0][0], &row[0][0] + 12, &g.srow[0][0]);
  return g;
}

Phantom make_phantom(const PhantomCase& c, std::int64_t nx, std::int64_t ny, std::int64_t nz,
                     std::uint64_t seed) {
  UNET3D_USAGE_CHECK(nx >= 8 && ny >= 8 && nz >= 8, "phantom size ", nx, "x", ny, "x", nz,
                     " (each side at least 8)");
  const Anatomy a = anatomy(c, seed);
  Phantom p;
  p.geometry = phantom_geometry(nx, ny, nz);
  const NiftiGeometry& g = p.geometry;
  const std::int64_t n = nx * ny * nz;
  p.image.resize(static_cast<std::size_t>(n));
  p.labels.resize(static_cast<std::size_t>(n));
  // Tissue intensities (T2-like) of each label, and how wide a boundary blurs (mm).
  const double tissue[kClasses] = {0, 700, 350, 1500, 480, 1050};
  constexpr double kBlur = 2.0;
  const std::uint64_t noise_seed =
      seed * 7919 + static_cast<std::uint64_t>(c.patient * 131 + c.week);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t ix = i % nx, iy = i / nx % ny, iz = i / (nx * ny);
    const double x = g.qoffset_x + (static_cast<double>(ix) + 0.5) * g.dx;
    const double y = g.qoffset_y + (static_cast<double>(iy) + 0.5) * g.dy;
    const double z = g.qoffset_z + (static_cast<double>(iz) + 0.5) * g.dz;
    double d[kClasses];
    distances(a, x, y, z, d);
    // Later labels lie inside earlier ones and win; intensities blend over the blur width.
    int label = 0;
    double value = tissue[0];
    for (int k = 1; k < kClasses; ++k) {
      const double inside = 1 / (1 + std::exp(d[k] / (kBlur / 2)));
      value = value * (1 - inside) + tissue[k] * inside;
      if (d[k] < 0 && (k != 2 || label == 1)) label = k;  // bone only inside the body
    }
    const double bias =
        1 + 0.15 * std::sin(x / 90 + a.bias_phase[0]) * std::cos(y / 110 + a.bias_phase[1]) +
        0.1 * std::sin(z / 70 + a.bias_phase[2]);
    // Two uniforms -> one normal (Box-Muller), from the counter-based RNG: thread-order free.
    const double u1 = 1 - uniform01(noise_seed, 2 * static_cast<std::uint64_t>(i));
    const double u2 = uniform01(noise_seed, 2 * static_cast<std::uint64_t>(i) + 1);
    const double noise = std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    p.image[static_cast<std::size_t>(i)] =
        static_cast<std::int16_t>(std::clamp(value * bias + 25 * noise, -32768.0, 32767.0));
    p.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(label);
  }
  return p;
}

std::vector<std::int64_t> write_phantom_dataset(const std::string& out, int count, std::int64_t nx,
                                                std::int64_t ny, std::int64_t nz,
                                                std::uint64_t seed) {
  namespace fs = std::filesystem;
  UNET3D_USAGE_CHECK(count >= 1, "--cases: ", count, " (needs at least 1)");
  const fs::path images = fs::path(out) / "semantic_MRs",
                 labels = fs::path(out) / "semantic_labels_only";
  fs::create_directories(images);
  fs::create_directories(labels);
  std::vector<std::int64_t> counts(kClasses, 0);
  ProgressBar bar("phantoms", count);
  for (const PhantomCase& c : phantom_cases(count, seed)) {
    const Phantom p = make_phantom(c, nx, ny, nz, seed);
    // The image and its label appear as a pair or not at all.
    AtomicFile image((images / (c.name() + "_LFOV.nii.gz")).string());
    AtomicFile label((labels / (c.name() + "_SEMANTIC_LFOV.nii.gz")).string());
    write_nifti(image, p.geometry, p.image.data(), NiftiStorage::i16);
    write_nifti(label, p.geometry, p.labels.data(), NiftiStorage::u8);
    image.commit();
    try {
      label.commit();
    } catch (...) {
      fs::remove(image.path());
      throw;
    }
    for (const std::uint8_t l : p.labels) ++counts[l];
    bar.advance();
  }
  return counts;
}

}  // namespace unet3d
