// The real hippocampus data (Decathlon layout) through the project's own loading: all 200 pairs
// found, read and validated, with the shapes, datatypes and label sets its README documents.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "io/preprocess.h"
#include "tests/support/test_data.h"

using namespace unet3d;
using namespace unet3d::testing;

TEST_CASE("the hippocampus set loads with its documented shapes and labels", "[data][dataset]") {
  const DatasetIndex index =
      discover_dataset((test_data_dir() / "hippocampus").string(), DatasetLayout::automatic);
  CHECK(index.layout == DatasetLayout::decathlon);
  REQUIRE(index.cases.size() == 200);
  CHECK(index.unmatched.empty());
  CHECK(index.class_names == std::vector<std::string>{"background", "Anterior", "Posterior"});
  std::set<int> image_types;
  int float_labels = 0;
  for (const CasePaths& paths : index.cases) {
    INFO(paths.images.front());
    const LoadedCase c = load_case(paths, 3);
    const NiftiGeometry& g = c.image.geometry;
    CHECK((g.nx >= 31 && g.nx <= 43 && g.ny >= 40 && g.ny <= 59 && g.nz >= 24 && g.nz <= 47));
    image_types.insert(c.image.datatype);
    float_labels += read_nifti(paths.label).datatype == 16 ? 1 : 0;
    std::set<int> present(c.labels.begin(), c.labels.end());
    CHECK(present == std::set<int>{0, 1, 2});  // both foreground classes in every case
  }
  CHECK(image_types == std::set<int>{2, 16});  // uint8 and float32 images
  CHECK(float_labels > 0);
}

TEST_CASE("preprocessed hippocampus volumes are z-scored at the network's size",
          "[data][dataset]") {
  DatasetIndex index =
      discover_dataset((test_data_dir() / "hippocampus").string(), DatasetLayout::automatic);
  index.cases.resize(6);
  const PreprocessedDataset d = preprocess_dataset(index, 32, 0, Device::cpu, {false, ""});
  CHECK(d.num_classes == 3);
  CHECK(d.images.shape() == Shape{6, 32, 32, 32, 1});
  for (std::size_t i = 0; i < 6; ++i) {
    const Tensor image = d.image(i);
    double sum = 0, squares = 0;
    for (std::int64_t k = 0; k < image.numel(); ++k) {
      sum += image.data_as<float>()[k];
      squares += std::pow(image.data_as<float>()[k], 2);
    }
    const auto n = static_cast<double>(image.numel());
    CHECK(std::abs(sum / n) < 1e-4);
    CHECK(squares / n == Approx(1.0).epsilon(1e-4));
  }
}
