// Surface metrics against cases computed by hand (single voxels, slabs offset by k voxels with
// anisotropic spacing, empty masks, masks on the grid's edge) and against brute force (the
// distance transform on random masks, a sphere).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "io/json.h"
#include "runtime/rng.h"
#include "scoring/case_scores.h"
#include "scoring/surface_metrics.h"
#include "tests/support/tool_runs.h"

using namespace unet3d;

namespace {

std::size_t at(const Grid3& g, std::int64_t x, std::int64_t y, std::int64_t z) {
  return static_cast<std::size_t>((z * g.ny + y) * g.nx + x);
}

// The reference: surfaces by their definition, distances by trying every pair.
struct BruteForce {
  double hd95, assd, nsd;
};

bool inside(const std::vector<std::uint8_t>& m, const Grid3& g, std::int64_t x, std::int64_t y,
            std::int64_t z, int c) {
  return x >= 0 && y >= 0 && z >= 0 && x < g.nx && y < g.ny && z < g.nz && m[at(g, x, y, z)] == c;
}

std::vector<std::int64_t> surface_voxels(const std::vector<std::uint8_t>& m, const Grid3& g,
                                         int c) {
  std::vector<std::int64_t> out;
  for (std::int64_t z = 0; z < g.nz; ++z)
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t x = 0; x < g.nx; ++x)
        if (inside(m, g, x, y, z, c) &&
            !(inside(m, g, x - 1, y, z, c) && inside(m, g, x + 1, y, z, c) &&
              inside(m, g, x, y - 1, z, c) && inside(m, g, x, y + 1, z, c) &&
              inside(m, g, x, y, z - 1, c) && inside(m, g, x, y, z + 1, c)))
          out.push_back(static_cast<std::int64_t>(at(g, x, y, z)));
  return out;
}

double distance(const Grid3& g, std::int64_t a, std::int64_t b) {
  const double dx = static_cast<double>(a % g.nx - b % g.nx) * g.sx;
  const double dy = static_cast<double>(a / g.nx % g.ny - b / g.nx % g.ny) * g.sy;
  const double dz = static_cast<double>(a / (g.nx * g.ny) - b / (g.nx * g.ny)) * g.sz;
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

std::vector<double> directed(const std::vector<std::int64_t>& from,
                             const std::vector<std::int64_t>& to, const Grid3& g) {
  std::vector<double> d;
  for (const std::int64_t a : from) {
    double best = std::numeric_limits<double>::infinity();
    for (const std::int64_t b : to) best = std::min(best, distance(g, a, b));
    d.push_back(best);
  }
  return d;
}

BruteForce brute_force(const std::vector<std::uint8_t>& pred,
                       const std::vector<std::uint8_t>& truth, const Grid3& g, int c, double tau) {
  const auto sp = surface_voxels(pred, g, c), st = surface_voxels(truth, g, c);
  std::vector<double> a = directed(sp, st, g), b = directed(st, sp, g);
  double sum = 0, within = 0;
  for (double d : a) sum += d, within += d <= tau;
  for (double d : b) sum += d, within += d <= tau;
  const double n = static_cast<double>(a.size() + b.size());
  return {std::max(percentile(a, 95), percentile(b, 95)), sum / n, within / n};
}

}  // namespace

TEST_CASE("percentiles follow numpy's linear rule", "[surface]") {
  std::vector<double> v{4, 1, 3, 2};
  CHECK(percentile(v, 95) == Approx(3.85));
  CHECK(percentile(v, 50) == Approx(2.5));
  std::vector<double> one{7};
  CHECK(percentile(one, 95) == 7);
}

TEST_CASE("the distance transform is exact against brute force", "[surface]") {
  const Grid3 g{7, 5, 6, 0.7, 1.3, 2.1};
  Rng rng(5);
  for (const int per_thousand : {3, 50, 400}) {
    std::vector<std::uint8_t> features(static_cast<std::size_t>(g.voxels()));
    for (auto& f : features) f = rng.below(1000) < static_cast<std::uint64_t>(per_thousand);
    const std::vector<double> d2 = squared_distance_to(features, g);
    for (std::int64_t i = 0; i < g.voxels(); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < g.voxels(); ++j)
        if (features[static_cast<std::size_t>(j)]) best = std::min(best, distance(g, i, j));
      INFO("density " << per_thousand << "/1000, voxel " << i);
      if (std::isinf(best))
        CHECK(std::isinf(d2[static_cast<std::size_t>(i)]));
      else
        CHECK(std::sqrt(d2[static_cast<std::size_t>(i)]) == Approx(best).margin(1e-12));
    }
  }
}

TEST_CASE("single voxels k apart score k times the spacing", "[surface]") {
  const Grid3 g{9, 9, 9, 1.0, 0.6, 2.5};
  std::vector<std::uint8_t> pred(static_cast<std::size_t>(g.voxels()), 0), truth = pred;
  pred[at(g, 4, 1, 4)] = 1;
  truth[at(g, 4, 6, 4)] = 1;  // 5 voxels apart along y: 3 mm
  ClassSurfaceScores s = class_surface_scores(pred.data(), truth.data(), g, 1, 2.0);
  CHECK(s.hd95 == Approx(3.0));
  CHECK(s.assd == Approx(3.0));
  CHECK(s.nsd == 0);
  CHECK(class_surface_scores(pred.data(), truth.data(), g, 1, 3.0).nsd == 1);
  CHECK(s.volume_pred_ml == Approx(1.5 / 1000));
  // The same voxel in both: no distance at all.
  s = class_surface_scores(pred.data(), pred.data(), g, 1, 0.0);
  CHECK((s.hd95 == 0 && s.assd == 0 && s.nsd == 1));
}

TEST_CASE("slabs on the grid's edges offset by k voxels score in closed form", "[surface]") {
  // Two-voxel slabs across the whole y-z extent (touching four faces of the grid), the truth k
  // voxels further along x: every voxel of both is surface, half of them (k - 1) sx from the
  // other slab and half k sx, so ASSD = (k - 1/2) sx, HD95 = k sx and NSD at a tolerance between
  // the two is 1/2.
  const Grid3 g{12, 4, 3, 1.5, 0.8, 2.0};
  for (const std::int64_t k : {2, 3, 5}) {
    std::vector<std::uint8_t> pred(static_cast<std::size_t>(g.voxels()), 0), truth = pred;
    for (std::int64_t z = 0; z < g.nz; ++z)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t x = 0; x < 2; ++x) {
          pred[at(g, 1 + x, y, z)] = 2;
          truth[at(g, 1 + k + x, y, z)] = 2;
        }
    const double sx = g.sx;
    const ClassSurfaceScores s =
        class_surface_scores(pred.data(), truth.data(), g, 2, (static_cast<double>(k) - 0.5) * sx);
    INFO("k = " << k);
    CHECK(s.hd95 == Approx(static_cast<double>(k) * sx));
    CHECK(s.assd == Approx((static_cast<double>(k) - 0.5) * sx));
    CHECK(s.nsd == Approx(0.5));
    CHECK(s.volume_true_ml == Approx(2.0 * 4 * 3 * 1.5 * 0.8 * 2.0 / 1000));
  }
}

TEST_CASE("an empty class is absent, one empty side is a total miss", "[surface]") {
  const Grid3 g{5, 5, 5, 1, 1, 1};
  std::vector<std::uint8_t> empty(static_cast<std::size_t>(g.voxels()), 0), one = empty;
  one[at(g, 0, 0, 0)] = 3;  // in a corner of the grid
  CHECK(class_surface_scores(empty.data(), empty.data(), g, 3, 2.0).absent);
  for (const auto& [p, t] : {std::pair{&one, &empty}, std::pair{&empty, &one}}) {
    const ClassSurfaceScores s = class_surface_scores(p->data(), t->data(), g, 3, 2.0);
    CHECK_FALSE(s.absent);
    CHECK((std::isinf(s.hd95) && std::isinf(s.assd) && s.nsd == 0));
  }
}

TEST_CASE("a sphere against a shifted sphere matches brute force", "[surface]") {
  const Grid3 g{20, 18, 16, 0.9, 1.1, 1.7};
  std::vector<std::uint8_t> pred(static_cast<std::size_t>(g.voxels()), 0), truth = pred;
  for (std::int64_t z = 0; z < g.nz; ++z)
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t x = 0; x < g.nx; ++x) {
        const auto ball = [&](double cx, double cy, double cz, double r) {
          const double dx = (static_cast<double>(x) - cx) * g.sx,
                       dy = (static_cast<double>(y) - cy) * g.sy,
                       dz = (static_cast<double>(z) - cz) * g.sz;
          return dx * dx + dy * dy + dz * dz <= r * r;
        };
        pred[at(g, x, y, z)] = ball(9, 9, 8, 6.0) ? 1 : 0;
        truth[at(g, x, y, z)] = ball(11, 8, 7, 7.5) ? 1 : (x == 0 ? 1 : 0);  // and an edge plane
      }
  for (const int c : {0, 1}) {
    const ClassSurfaceScores s = class_surface_scores(pred.data(), truth.data(), g, c, 2.0);
    const BruteForce r = brute_force(pred, truth, g, c, 2.0);
    INFO("class " << c);
    CHECK(s.hd95 == Approx(r.hd95).margin(1e-9));
    CHECK(s.assd == Approx(r.assd).margin(1e-9));
    CHECK(s.nsd == Approx(r.nsd).margin(1e-12));
  }
}

TEST_CASE("cases.csv leaves an absent class empty and writes a total miss as inf", "[surface]") {
  const Grid3 g{4, 4, 4, 1, 1, 2};
  std::vector<std::uint8_t> pred(static_cast<std::size_t>(g.voxels()), 0), truth = pred;
  truth[5] = 1;  // class 1 only in the truth: missed; class 2 nowhere: absent
  CaseScoreTable table({"background", "one", "two"}, 2.0);
  table.add("case_a", pred.data(), truth.data(), g);
  const std::string csv = table.csv();
  CHECK_THAT(csv, Catch::StartsWith(
                      "case,class,dice,hd95_mm,assd_mm,nsd,volume_pred_ml,volume_true_ml\n"));
  CHECK_THAT(csv, Catch::Contains("\ncase_a,one,0,inf,inf,0,0,0.002\n"));
  CHECK_THAT(csv, Catch::Contains("\ncase_a,two,,,,,0,0\n"));
  CHECK_THAT(table.summary_json(), Catch::Contains("\"one\": {\"hd95_mm\": {\"mean\": null, "
                                                   "\"median\": null, \"n\": 0, \"n_absent\": 0, "
                                                   "\"n_inf\": 1}"));
  CHECK_THAT(table.summary_json(), Catch::Contains("\"two\": {\"hd95_mm\": {\"mean\": null, "
                                                   "\"median\": null, \"n\": 0, \"n_absent\": 1"));
}

TEST_CASE("a table's rows through bytes, interleaved case by case, give the same cases.csv",
          "[surface]") {
  const Grid3 g{4, 4, 4, 1, 1, 2};
  std::vector<std::uint8_t> pred(static_cast<std::size_t>(g.voxels()), 0), truth = pred;
  truth[5] = 1;  // a total miss (inf) and an absent class (NaN) travel too
  pred[9] = truth[9] = 2;
  const std::vector<std::string> classes = {"background", "one", "two"};
  CaseScoreTable all(classes, 2.0), even(classes, 2.0), odd(classes, 2.0);
  for (int v = 0; v < 5; ++v) {
    const std::string name = "case_" + std::to_string(v);
    pred[static_cast<std::size_t>(20 + v)] = 2;  // each case its own numbers
    all.add(name, pred.data(), truth.data(), g);
    (v % 2 == 0 ? even : odd).add(name, pred.data(), truth.data(), g);
  }
  // As predict's ranks do: each table's bytes read back elsewhere, then case i from table i % 2.
  CaseScoreTable even_again(classes, 2.0), odd_again(classes, 2.0), gathered(classes, 2.0);
  even_again.add_rows_bytes(even.rows_bytes());
  odd_again.add_rows_bytes(odd.rows_bytes());
  for (std::size_t i = 0; i < 5; ++i) gathered.add_case_of(i % 2 ? odd_again : even_again, i / 2);
  CHECK(gathered.csv() == all.csv());
  CHECK(gathered.summary_json() == all.summary_json());
  CHECK_THROWS(CaseScoreTable(classes, 2.0).add_rows_bytes(even.rows_bytes().substr(0, 20)));
}

TEST_CASE("the surface metrics are MONAI's to 1e-3 mm", "[surface]") {
  // tests/fixtures/monai_surface.py wrote the masks and MONAI 1.4's figures.
  const std::string text = testing::read_text(std::string(FIXTURES_DIR) + "/monai_surface.json");
  REQUIRE_FALSE(text.empty());  // the fixture is there
  const json::Value root = json::parse(text, "monai_surface.json");
  int compared = 0;
  for (const json::Value& c : root.find("cases")->items) {
    const json::Value& spacing = *c.find("spacing");
    const Grid3 g{c.find("nx")->as_int("nx"),       c.find("ny")->as_int("ny"),
                  c.find("nz")->as_int("nz"),       std::stod(spacing.items[0].text),
                  std::stod(spacing.items[1].text), std::stod(spacing.items[2].text)};
    std::vector<std::uint8_t> pred, truth;
    for (const char d : c.find("pred")->text) pred.push_back(static_cast<std::uint8_t>(d - '0'));
    for (const char d : c.find("truth")->text) truth.push_back(static_cast<std::uint8_t>(d - '0'));
    REQUIRE(static_cast<std::int64_t>(pred.size()) == g.voxels());
    const double tolerance = std::stod(c.find("tolerance")->text);
    for (const json::Value& e : c.find("expected")->items) {
      const int k = static_cast<int>(e.find("class")->as_int("class"));
      const ClassSurfaceScores s = class_surface_scores(pred.data(), truth.data(), g, k, tolerance);
      INFO("grid " << g.nx << "x" << g.ny << "x" << g.nz << ", class " << k);
      CHECK(s.hd95 == Approx(std::stod(e.find("hd95")->text)).margin(1e-3));
      CHECK(s.assd == Approx(std::stod(e.find("assd")->text)).margin(1e-3));
      CHECK(s.nsd == Approx(std::stod(e.find("nsd")->text)).margin(1e-6));
      ++compared;
    }
  }
  CHECK(compared == 9);
}
