// Every score of every case and class at native resolution (docs/formats.md): Dice, HD95, ASSD,
// NSD and the two volumes, written as cases.csv, summed up per class (mean, median, how many
// cases the class was absent from and how many were total misses) as text and JSON. predict,
// evaluate and the trainer's test phase all fill one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/nifti.h"
#include "scoring/surface_metrics.h"

namespace unet3d {

// A NIfTI grid with its voxel sizes (pixdim, mm) as the surface metrics see it.
inline Grid3 grid_of(const NiftiGeometry& g) {
  return {g.nx, g.ny, g.nz, g.dx, g.dy, g.dz};
}

// NSD's default tolerance, in mm (--nsd-tolerance).
inline constexpr double kDefaultNsdToleranceMm = 2.0;

class CaseScoreTable {
 public:
  CaseScoreTable(std::vector<std::string> class_names, double tolerance_mm);

  // The case's label maps (x fastest) on grid g.
  void add(const std::string& case_name, const std::uint8_t* pred, const std::uint8_t* truth,
           const Grid3& g);

  // cases.csv: `case,class,dice,hd95_mm,assd_mm,nsd,volume_pred_ml,volume_true_ml`, a row per
  // case and class; 9 significant digits, an absent value empty, an infinite one `inf`.
  std::string csv() const;
  // Per class: Dice, HD95, ASSD and NSD, each mean (median) over its finite values, and how many
  // cases held the class, lacked it on both sides and were total misses.
  std::string summary_text(const std::string& title) const;
  // {"<class>": {"hd95_mm": {"mean", "median", "n", "n_absent", "n_inf"}, "assd_mm": ..., "nsd":
  // ...}, ...}: n counts finite values, n_inf total misses, n_absent cases without the class.
  std::string summary_json() const;

  // Every row as bytes, each number's exactly, for another process's table of the same classes
  // (add_rows_bytes appends them there).
  std::string rows_bytes() const;
  void add_rows_bytes(std::string_view bytes);
  // Appends case v of `other` (a table of the same classes).
  void add_case_of(const CaseScoreTable& other, std::size_t v);

  // Class c's mean HD95 over the cases where it is finite (NaN if none is).
  double mean_hd95(int c) const;

  // Case v (in the order added) and class c.
  std::size_t cases() const {
    return class_names_.empty() ? 0 : rows_.size() / class_names_.size();
  }
  const std::string& case_name(std::size_t v) const { return row(v, 0).case_name; }
  double dice(std::size_t v, int c) const { return row(v, c).dice; }
  double hd95(std::size_t v, int c) const { return row(v, c).surface.hd95; }
  bool truth_has(std::size_t v, int c) const { return row(v, c).surface.volume_true_ml > 0; }
  // The mean Dice of case v over the classes present in it.
  double mean_dice(std::size_t v) const;
  const std::vector<std::string>& class_names() const { return class_names_; }
  double tolerance_mm() const { return tolerance_mm_; }

 private:
  struct Row {
    std::string case_name;
    int class_index;
    double dice;  // NaN where absent
    ClassSurfaceScores surface;
  };
  const Row& row(std::size_t v, int c) const {
    return rows_[v * class_names_.size() + static_cast<std::size_t>(c)];
  }

  std::vector<std::string> class_names_;
  double tolerance_mm_;
  std::vector<Row> rows_;
};

}  // namespace unet3d
