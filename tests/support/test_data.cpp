// Locating the real test data.
#include "tests/support/test_data.h"

#include <cstdlib>
#include <string_view>

namespace unet3d::testing {

std::filesystem::path test_data_dir() {
  if (const char* env = std::getenv("UNET3D_TEST_DATA"); env != nullptr && *env != '\0') return env;
  return UNET3D_TEST_DATA_DIR;
}

std::string missing_test_data(const std::string& subfolder) {
  const std::filesystem::path dir = test_data_dir() / subfolder;
  if (std::filesystem::is_directory(dir)) return "";
  return "real test data not found at " + dir.string() +
         " (set UNET3D_TEST_DATA or -DUNET3D_TEST_DATA_DIR)";
}

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::filesystem::path scratch_folder(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("unet3d_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace unet3d::testing
