// Several input channels: the Decathlon's channel files found, ordered and checked; each channel
// preprocessed on its own in both modes and through the caches; and the channel-last volumes
// through patch cutting, the Augmenter's per-channel statistics and the sliding window.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/dataset.h"
#include "io/patch_plan.h"
#include "io/preprocess.h"
#include "io/resampled.h"
#include "kernels/augment.h"
#include "kernels/flip.h"
#include "layers/augmenter.h"
#include "layers/sliding_window.h"
#include "runtime/error.h"
#include "tests/support/error_of.h"
#include "tests/support/nifti_files.h"
#include "tests/support/test_data.h"
#include "verify/compare.h"
#include "verify/parity.h"

using namespace unet3d;
using namespace unet3d::testing;
namespace fs = std::filesystem;

namespace {

// A 5 x 4 x 3 volume (float32) whose voxel i holds scale * i + offset + (i * i) % 7.
void write_volume(const fs::path& path, double scale, double offset, std::int64_t nz = 3) {
  fs::create_directories(path.parent_path());
  RawVolume v;
  v.nx = 5, v.ny = 4, v.nz = nz;
  for (std::int64_t i = 0; i < v.nx * v.ny * v.nz; ++i)
    v.values.push_back(scale * static_cast<double>(i) + offset + static_cast<double>(i * i % 7));
  write_raw_nifti(path.string(), v);
}

void write_labels(const fs::path& path) {
  fs::create_directories(path.parent_path());
  RawVolume v;
  v.nx = 5, v.ny = 4, v.nz = 3, v.datatype = 2;
  for (int i = 0; i < 60; ++i) v.values.push_back(i % 3);
  write_raw_nifti(path.string(), v);
}

// Cases `names` of two channels (channel 1 a different contrast of channel 0) in dir.
void write_two_channel_dataset(const fs::path& dir, const std::vector<std::string>& names) {
  for (std::size_t k = 0; k < names.size(); ++k) {
    write_volume(dir / "imagesTr" / (names[k] + "_0000.nii.gz"), 1.0 + static_cast<double>(k), 5);
    write_volume(dir / "imagesTr" / (names[k] + "_0001.nii.gz"), -3.0, 400);
    write_labels(dir / "labelsTr" / (names[k] + ".nii.gz"));
  }
}

std::string data_error(const std::function<void()>& f) {
  return error_of(f, ErrorKind::data);
}

std::vector<float> values_of(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  return {host.data_as<float>(), host.data_as<float>() + host.numel()};
}

// Channel c of a [.., C] tensor's values, as a one-channel list.
std::vector<float> channel_of(const std::vector<float>& values, std::size_t channels,
                              std::size_t c) {
  std::vector<float> out;
  for (std::size_t i = c; i < values.size(); i += channels) out.push_back(values[i]);
  return out;
}

}  // namespace

TEST_CASE("the Decathlon's channel files are found, ordered and named", "[channels][dataset]") {
  const fs::path dir = scratch_folder("channels_found");
  write_two_channel_dataset(dir, {"prostate_02", "prostate_01"});
  std::ofstream(dir / "dataset.json") << R"({"channel_names": {"1": "ADC", "0": "T2"}})";
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::automatic);
  REQUIRE(index.cases.size() == 2);
  CHECK(index.channels == 2);
  CHECK(index.channel_names == std::vector<std::string>{"T2", "ADC"});
  CHECK(index.cases[0].name == "prostate_01");
  REQUIRE(index.cases[0].images.size() == 2);
  CHECK(index.cases[0].images[0].ends_with("prostate_01_0000.nii.gz"));
  CHECK(index.cases[0].images[1].ends_with("prostate_01_0001.nii.gz"));
  CHECK(index.unmatched.empty());

  // The channels are read one after the other, on the grid of the first.
  const LoadedCase c = load_case(index.cases[0], 3);
  CHECK(c.image.channels == 2);
  REQUIRE(c.image.values.size() == 120);
  CHECK(c.image.values[1] == 2 * 1 + 5 + 1);  // prostate_01 was written second: scale 2
  CHECK(c.image.values[60 + 1] == -3 * 1 + 400 + 1);

  // The Decathlon's own "modality" names them as well.
  std::ofstream(dir / "dataset.json") << R"({"modality": {"0": "T2", "1": "ADC"}})";
  CHECK(discover_dataset(dir.string(), DatasetLayout::decathlon).channel_names ==
        std::vector<std::string>{"T2", "ADC"});
}

TEST_CASE("a one-channel case may end in four digits", "[channels][dataset]") {
  const fs::path dir = scratch_folder("channels_digits");
  write_volume(dir / "imagesTr" / "scan_2020.nii.gz", 1, 0);
  write_labels(dir / "labelsTr" / "scan_2020.nii.gz");
  write_volume(dir / "imagesTr" / "scan_2021_0000.nii.gz", 1, 0);
  write_labels(dir / "labelsTr" / "scan_2021.nii.gz");
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::decathlon);
  REQUIRE(index.cases.size() == 2);
  CHECK(index.cases[0].name == "scan_2020");  // no scan_0000 beside it: not a channel file
  CHECK(index.cases[1].name == "scan_2021");
  CHECK(index.channels == 1);
}

TEST_CASE("missing, uneven and misplaced channels are data errors naming the files",
          "[channels][dataset]") {
  SECTION("a gap in a case's channels") {
    const fs::path dir = scratch_folder("channels_gap");
    write_two_channel_dataset(dir, {"a"});
    fs::rename(dir / "imagesTr" / "a_0001.nii.gz", dir / "imagesTr" / "a_0002.nii.gz");
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains("case a has channel file") && Catch::Contains("a_0002.nii.gz") &&
                   Catch::Contains("but no a_0001.nii.gz"));
  }
  SECTION("a case given both whole and as channel 0") {
    const fs::path dir = scratch_folder("channels_twice");
    write_two_channel_dataset(dir, {"a"});
    write_volume(dir / "imagesTr" / "a.nii.gz", 1, 0);
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains("a.nii.gz and ") &&
                   Catch::Contains("a_0000.nii.gz are both channel 0 of case a"));
  }
  SECTION("one image stored twice, as .nii and as .nii.gz") {
    const fs::path dir = scratch_folder("channels_stored_twice");
    write_two_channel_dataset(dir, {"a"});
    write_volume(dir / "imagesTr" / "a_0001.nii", -3, 400);
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains("a_0001.nii") && Catch::Contains("are the same image (keep one)"));
  }
  SECTION("cases with different channel counts") {
    const fs::path dir = scratch_folder("channels_uneven");
    write_two_channel_dataset(dir, {"a", "b"});
    fs::remove(dir / "imagesTr" / "b_0001.nii.gz");
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains("case b has 1 channel file(s)") &&
                   Catch::Contains("b_0000.nii.gz") && Catch::Contains("where case a has 2"));
  }
  SECTION("dataset.json names more channels than the files hold") {
    const fs::path dir = scratch_folder("channels_json");
    write_volume(dir / "imagesTr" / "a.nii.gz", 1, 0);
    write_labels(dir / "labelsTr" / "a.nii.gz");
    std::ofstream(dir / "dataset.json") << R"({"modality": {"0": "T2", "1": "ADC"}})";
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains("dataset.json names 2 channels, but case a has 1") &&
                   Catch::Contains("<case>_0000.nii.gz, <case>_0001.nii.gz"));
  }
  SECTION("dataset.json's channel indices with a gap") {
    const fs::path dir = scratch_folder("channels_json_gap");
    write_two_channel_dataset(dir, {"a"});
    std::ofstream(dir / "dataset.json") << R"({"channel_names": {"0": "T2", "2": "ADC"}})";
    CHECK_THAT(data_error([&] { discover_dataset(dir.string(), DatasetLayout::decathlon); }),
               Catch::Contains(R"(dataset.json: the indices of "channel_names" are not 0, 1, 2)"));
  }
  SECTION("a channel on another grid") {
    const fs::path dir = scratch_folder("channels_grid");
    write_two_channel_dataset(dir, {"a"});
    write_volume(dir / "imagesTr" / "a_0001.nii.gz", 1, 0, 4);
    const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::decathlon);
    CHECK_THAT(data_error([&] { load_case(index.cases[0], 3); }),
               Catch::Contains("a_0001.nii.gz (channel 1) and ") &&
                   Catch::Contains("a_0000.nii.gz (channel 0) are not on the same grid") &&
                   Catch::Contains("dimensions 5x4x3 vs 5x4x4"));
  }
}

TEST_CASE("each channel is preprocessed on its own, in both modes and through the caches",
          "[channels][preprocess]") {
  const fs::path dir = scratch_folder("channels_preprocess");
  write_two_channel_dataset(dir, {"a", "b", "c"});
  const DatasetIndex index = discover_dataset(dir.string(), DatasetLayout::decathlon);
  const LoadedCase loaded = load_case(index.cases[1], 3);
  // Each channel alone, through the one-channel path.
  const auto alone = [&](std::size_t c, const Shape& out_shape) {
    Tensor out(out_shape, DType::f32);
    preprocess_image(Tensor::view(const_cast<float*>(loaded.image.values.data()) + c * 60,
                                  {1, 3, 4, 5, 1}, DType::f32, Device::cpu),
                     out, "channel");
    return values_of(out);
  };
  const fs::path cache = dir / "cache";

  const PreprocessedDataset resized = preprocess_dataset(index, 6, 3, Device::cpu, {true, cache});
  REQUIRE(resized.images.shape() == Shape{3, 6, 6, 6, 2});
  const std::vector<float> both = values_of(resized.image(1));
  for (std::size_t c = 0; c < 2; ++c) {
    INFO("channel " << c);
    CHECK(channel_of(both, 2, c) == alone(c, {1, 6, 6, 6, 1}));
    // z-scored on its own: mean 0, standard deviation 1.
    double sum = 0, squares = 0;
    for (const float v : channel_of(both, 2, c)) sum += v, squares += double{v} * v;
    CHECK(std::abs(sum / 216) < 1e-6);
    CHECK(squares / 216 == Approx(1).epsilon(1e-5));
  }
  PreprocessReport report;
  const PreprocessedDataset again =
      preprocess_dataset(index, 6, 3, Device::cpu, {true, cache}, &report);
  CHECK(report.from_cache);
  CHECK(compare(again.images, resized.images, tolerance(Check::exact)).ok);
  CHECK(again.cases[1].image_paths == index.cases[1].images);

  // (z, y, x) mm, from voxels of 2.5 x 1.5 x 1.5 mm: the grid (d, h, w) = 2 x 4 x 3.
  const Spacing target{5, 1.5, 3};
  const ResampledDataset resampled = resample_dataset(index, target, 3, Device::cpu, {true, cache});
  CHECK(resampled.channels == 2);
  INFO("grid " << resampled.volumes[1].grid.str());
  REQUIRE(resampled.volumes[1].grid == Grid{2, 4, 3});
  const std::vector<float>& image = resampled.volumes[1].image;
  REQUIRE(image.size() == 2 * 4 * 3 * 2);
  for (std::size_t c = 0; c < 2; ++c) CHECK(channel_of(image, 2, c) == alone(c, {1, 2, 4, 3, 1}));
  CHECK(resampled_image(loaded.image, target, Device::cpu, "b") == image);
  const ResampledDataset cached =
      resample_dataset(index, target, 3, Device::cpu, {true, cache}, &report);
  CHECK(report.from_cache);
  CHECK(cached.channels == 2);
  CHECK(cached.volumes[1].image == image);
}

TEST_CASE("a patch is cut with all its channels", "[channels][patch]") {
  const Grid grid{3, 4, 5};
  std::vector<std::uint8_t> labels(60);
  std::vector<float> image(120);
  for (std::size_t i = 0; i < 60; ++i) {
    labels[i] = static_cast<std::uint8_t>(i % 4);
    image[2 * i] = static_cast<float>(i), image[2 * i + 1] = -static_cast<float>(i) - 0.5f;
  }
  const LabelledVolume v{grid, labels.data()};
  const Grid origin{-1, 1, 2}, size{2, 3, 4};
  std::vector<float> out(static_cast<std::size_t>(size.voxels()) * 2);
  std::vector<std::uint8_t> out_labels(static_cast<std::size_t>(size.voxels()));
  cut_region(v, image.data(), 2, origin, size, out.data(), out_labels.data());
  std::size_t o = 0;
  for (std::int64_t z = 0; z < size.d; ++z)
    for (std::int64_t y = 0; y < size.h; ++y)
      for (std::int64_t x = 0; x < size.w; ++x, ++o) {
        const std::int64_t sz = z + origin.d, sy = y + origin.h, sx = x + origin.w;
        const bool inside =
            sz >= 0 && sz < grid.d && sy >= 0 && sy < grid.h && sx >= 0 && sx < grid.w;
        const auto at = static_cast<std::size_t>((sz * grid.h + sy) * grid.w + sx);
        REQUIRE(out[2 * o] == (inside ? image[2 * at] : 0.0f));
        REQUIRE(out[2 * o + 1] == (inside ? image[2 * at + 1] : 0.0f));
        REQUIRE(out_labels[o] == (inside ? labels[at] : 0));
      }
}

TEST_CASE("contrast and gamma take each channel's own statistics", "[channels][augment]") {
  const Shape one{1, 7, 6, 5, 1}, two = one.with_channels(2);
  const Tensor a = random_tensor(one, DType::f32, 31, -2.0f, 3.0f);
  const Tensor b = random_tensor(one, DType::f32, 32, 10.0f, 50.0f);
  Tensor both(two, DType::f32);
  for (std::int64_t i = 0; i < one.numel(); ++i) {
    both.data_as<float>()[2 * i] = a.data_as<float>()[i];
    both.data_as<float>()[2 * i + 1] = b.data_as<float>()[i];
  }
  Tensor stats(Shape::vector(statistics_elements(2)), DType::f64);
  intensity_statistics({both, stats});
  Tensor alone(Shape::vector(statistics_elements(1)), DType::f64);
  const Tensor* channels[2] = {&a, &b};
  for (int c = 0; c < 2; ++c) {
    intensity_statistics({*channels[c], alone});
    for (int k = 0; k < 3; ++k)
      CHECK(stats.data_as<double>()[3 * c + k] == alone.data_as<double>()[k]);
  }
  // An augmented two-channel image, channel by channel, is each channel augmented alone.
  Augmentation draw;
  draw.contrast = 1.2f, draw.gamma = 0.8f, draw.inverted_gamma = 1.3f, draw.blur_sigma = 0.7f;
  draw.brightness = 0.9f, draw.flips = kFlipW;
  const Tensor labels = random_labels(one, 3, 33);
  Augmenter augmenter;
  Tensor out(two, DType::f32), out_labels(one, DType::u8);
  augmenter.apply(draw, both, labels, out, out_labels);
  const std::vector<float> result = values_of(out);
  for (int c = 0; c < 2; ++c) {
    Tensor single(one, DType::f32), single_labels(one, DType::u8);
    augmenter.apply(draw, *channels[c], labels, single, single_labels);
    CHECK(channel_of(result, 2, static_cast<std::size_t>(c)) == values_of(single));
  }
}

TEST_CASE("the sliding window hands every input channel to the predictor", "[channels][window]") {
  const Grid grid{5, 7, 9}, patch{4, 4, 4};
  std::vector<float> volume(static_cast<std::size_t>(grid.voxels()) * 2);
  for (std::size_t i = 0; i < volume.size(); ++i)
    volume[i] = static_cast<float>(i % 2 == 0 ? i : 1000 - i) / 100.0f;
  // The identity from input channel c to class c: the weighted mean of a voxel's own value.
  const WindowPredictor identity = [](const std::vector<float>& windows, std::vector<float>& out) {
    REQUIRE(windows.size() == out.size());
    out = windows;
  };
  const std::vector<float> mean = sliding_window_mean(volume, grid, patch, 2, 0.5, identity, 3);
  REQUIRE(mean.size() == volume.size());
  for (std::size_t i = 0; i < volume.size(); ++i)
    REQUIRE(mean[i] == Approx(volume[i]).epsilon(1e-6));
}
