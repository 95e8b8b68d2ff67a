// Two-channel phantom datasets on disk.
#include "tests/support/channel_data.h"

#include <fstream>
#include <vector>

#include "io/nifti.h"
#include "tests/support/test_data.h"

namespace unet3d::testing {
namespace fs = std::filesystem;

void write_channel_files(const fs::path& folder, const std::string& name, const Phantom& p) {
  fs::create_directories(folder);
  std::vector<float> other(p.image.size());
  for (std::size_t i = 0; i < other.size(); ++i) other[i] = 3000.0f - 0.5f * p.image[i];
  write_nifti((folder / (name + "_0000.nii.gz")).string(), p.geometry, p.image.data(),
              NiftiStorage::i16);
  write_nifti((folder / (name + "_0001.nii.gz")).string(), p.geometry, other.data(),
              NiftiStorage::f32);
}

fs::path two_channel_dataset(const std::string& name) {
  const fs::path data = scratch_folder(name);
  fs::create_directories(data / "labelsTr");
  for (const PhantomCase& c : phantom_cases(12, 5)) {
    const Phantom p = make_phantom(c, 32, 32, 16, 5);
    write_channel_files(data / "imagesTr", c.name(), p);
    write_nifti((data / "labelsTr" / (c.name() + ".nii.gz")).string(), p.geometry, p.labels.data(),
                NiftiStorage::u8);
  }
  std::ofstream(data / "dataset.json")
      << R"({"channel_names": {"0": "T1", "1": "T2"}, "labels": {"0": "background", "1": "body",)"
      << R"( "2": "bone", "3": "bladder", "4": "rectum", "5": "prostate"}})";
  return data;
}

}  // namespace unet3d::testing
