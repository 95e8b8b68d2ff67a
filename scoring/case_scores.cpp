// The case score table: rows, cases.csv and the per-class summaries.
#include "scoring/case_scores.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "io/json.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 9 significant digits; "" for NaN (absent), "inf" for infinity.
std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return "inf";
  char text[40];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return "inf";
  char text[40];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

std::string json_value(double v) {
  return std::isfinite(v) ? csv_number(v) : "null";
}

// A metric's summary over the cases where the class is present.
struct Summary {
  double mean = kNaN, median = kNaN;
  int n = 0, n_absent = 0, n_inf = 0;
};

Summary summarise(std::vector<double> finite, int absent, int infinite) {
  Summary s;
  s.n = static_cast<int>(finite.size()), s.n_absent = absent, s.n_inf = infinite;
  if (finite.empty()) return s;
  double sum = 0;
  for (const double v : finite) sum += v;
  s.mean = sum / static_cast<double>(finite.size());
  std::sort(finite.begin(), finite.end());
  const std::size_t m = finite.size() / 2;
  s.median = finite.size() % 2 ? finite[m] : (finite[m - 1] + finite[m]) / 2;
  return s;
}

}  // namespace

CaseScoreTable::CaseScoreTable(std::vector<std::string> class_names, double tolerance_mm)
    : class_names_(std::move(class_names)), tolerance_mm_(tolerance_mm) {
  UNET3D_USAGE_CHECK(tolerance_mm >= 0 && std::isfinite(tolerance_mm), "--nsd-tolerance ",
                     tolerance_mm, ": must be a non-negative distance in mm");
}

void CaseScoreTable::add(const std::string& case_name, const std::uint8_t* pred,
                         const std::uint8_t* truth, const Grid3& g) {
  const int classes = static_cast<int>(class_names_.size());
  for (int c = 0; c < classes; ++c) {
    Row row{case_name, c, kNaN, class_surface_scores(pred, truth, g, c, tolerance_mm_)};
    const double voxel_ml = g.sx * g.sy * g.sz / 1000;
    if (!row.surface.absent) {
      std::int64_t both = 0;
      for (std::int64_t i = 0; i < g.voxels(); ++i) both += pred[i] == c && truth[i] == c;
      row.dice = 2 * static_cast<double>(both) * voxel_ml /
                 (row.surface.volume_pred_ml + row.surface.volume_true_ml);
    }
    rows_.push_back(row);
  }
}

std::string CaseScoreTable::csv() const {
  std::string text = "case,class,dice,hd95_mm,assd_mm,nsd,volume_pred_ml,volume_true_ml\n";
  for (const Row& r : rows_) {
    const bool absent = r.surface.absent;
    text += concat(
        r.case_name, ",", class_names_[static_cast<std::size_t>(r.class_index)], ",",
        csv_number(r.dice), ",", absent ? "" : csv_number(r.surface.hd95), ",",
        absent ? "" : csv_number(r.surface.assd), ",", absent ? "" : csv_number(r.surface.nsd), ",",
        csv_number(r.surface.volume_pred_ml), ",", csv_number(r.surface.volume_true_ml), "\n");
  }
  return text;
}

namespace {

// A value's bytes as they are (one machine's processes read them back).
template <class T>
void put(std::string& bytes, const T& value) {
  bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T take(std::string_view& bytes) {
  UNET3D_CHECK(bytes.size() >= sizeof(T), "a case score table's bytes end too early");
  T value;
  std::memcpy(&value, bytes.data(), sizeof value);
  bytes.remove_prefix(sizeof value);
  return value;
}

}  // namespace

std::string CaseScoreTable::rows_bytes() const {
  std::string bytes;
  for (const Row& r : rows_) {
    put(bytes, static_cast<std::uint64_t>(r.case_name.size()));
    bytes += r.case_name;
    const ClassSurfaceScores& s = r.surface;
    put(bytes, static_cast<std::int32_t>(r.class_index));
    put(bytes, static_cast<std::uint8_t>(s.absent));
    for (const double v : {r.dice, s.hd95, s.assd, s.nsd, s.volume_pred_ml, s.volume_true_ml})
      put(bytes, v);
  }
  return bytes;
}

void CaseScoreTable::add_rows_bytes(std::string_view bytes) {
  while (!bytes.empty()) {
    Row r;
    const auto name_size = static_cast<std::size_t>(take<std::uint64_t>(bytes));
    UNET3D_CHECK(bytes.size() >= name_size, "a case score table's bytes end inside a name");
    r.case_name = std::string(bytes.substr(0, name_size));
    bytes.remove_prefix(name_size);
    ClassSurfaceScores& s = r.surface;
    r.class_index = take<std::int32_t>(bytes);
    s.absent = take<std::uint8_t>(bytes) != 0;
    for (double* v : {&r.dice, &s.hd95, &s.assd, &s.nsd, &s.volume_pred_ml, &s.volume_true_ml})
      *v = take<double>(bytes);
    rows_.push_back(r);
  }
}

void CaseScoreTable::add_case_of(const CaseScoreTable& other, std::size_t v) {
  const std::size_t classes = class_names_.size();
  UNET3D_USAGE_CHECK(other.class_names_ == class_names_ && v < other.cases(), "add_case_of: case ",
                     v, " of a table of ", other.cases(), " cases (or of other classes)");
  rows_.insert(rows_.end(), other.rows_.begin() + static_cast<std::ptrdiff_t>(v * classes),
               other.rows_.begin() + static_cast<std::ptrdiff_t>((v + 1) * classes));
}

namespace {

// The summaries of class c's Dice, HD95, ASSD and NSD.
struct ClassSummary {
  Summary dice, hd95, assd, nsd;
};

template <class Rows>
ClassSummary class_summary(const Rows& rows, int c) {
  std::vector<double> dice, hd95, assd, nsd;
  int absent = 0, infinite = 0;
  for (const auto& r : rows) {
    if (r.class_index != c) continue;
    if (r.surface.absent) {
      ++absent;
      continue;
    }
    dice.push_back(r.dice);
    nsd.push_back(r.surface.nsd);
    if (std::isinf(r.surface.hd95)) {
      ++infinite;
      continue;
    }
    hd95.push_back(r.surface.hd95);
    assd.push_back(r.surface.assd);
  }
  return {summarise(dice, absent, 0), summarise(hd95, absent, infinite),
          summarise(assd, absent, infinite), summarise(nsd, absent, 0)};
}

}  // namespace

double CaseScoreTable::mean_dice(std::size_t v) const {
  double sum = 0;
  int n = 0;
  for (std::size_t c = 0; c < class_names_.size(); ++c)
    if (const double d = dice(v, static_cast<int>(c)); !std::isnan(d)) sum += d, ++n;
  return n > 0 ? sum / n : kNaN;
}

double CaseScoreTable::mean_hd95(int c) const {
  return class_summary(rows_, c).hd95.mean;
}

std::string CaseScoreTable::summary_text(const std::string& title) const {
  // Each metric's mean (median) over the cases where it is finite.
  const auto both = [](const Summary& m, int digits) {
    return concat(fixed(m.mean, digits), " (", fixed(m.median, digits), ")");
  };
  std::string text =
      concat(title, " (NSD at ", tolerance_mm_, " mm; mean (median) over the cases)\n",
             "| class | Dice | HD95 mm | ASSD mm | NSD | cases | absent | missed |\n"
             "|---|---|---|---|---|---|---|---|");
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    const ClassSummary s = class_summary(rows_, static_cast<int>(c));
    text += concat("\n| ", class_names_[c], " | ", both(s.dice, 4), " | ", both(s.hd95, 2), " | ",
                   both(s.assd, 2), " | ", both(s.nsd, 4), " | ", s.dice.n, " | ", s.dice.n_absent,
                   " | ", s.hd95.n_inf, " |");
  }
  return text;
}

std::string CaseScoreTable::summary_json() const {
  const auto metric = [](const Summary& s) {
    return concat("{\"mean\": ", json_value(s.mean), ", \"median\": ", json_value(s.median),
                  ", \"n\": ", s.n, ", \"n_absent\": ", s.n_absent, ", \"n_inf\": ", s.n_inf, "}");
  };
  std::string text = "{";
  for (std::size_t c = 0; c < class_names_.size(); ++c) {
    const ClassSummary s = class_summary(rows_, static_cast<int>(c));
    text += concat(c ? ",\n      " : "\n      ", json::quote(class_names_[c]),
                   ": {\"hd95_mm\": ", metric(s.hd95), ", \"assd_mm\": ", metric(s.assd),
                   ", \"nsd\": ", metric(s.nsd), "}");
  }
  return text + "\n    }";
}

}  // namespace unet3d
