// Where the real data for tests lies: $UNET3D_TEST_DATA if set, else the CMake cache variable
// UNET3D_TEST_DATA_DIR (default ../shared/data beside the project).
#pragma once

#include <filesystem>
#include <string>

namespace unet3d::testing {

std::filesystem::path test_data_dir();
// "" when `subfolder` of the data folder exists; otherwise why the data tests cannot run.
// Under CI (CI=true) the tests must not be skipped, so the caller turns this into a failure.
std::string missing_test_data(const std::string& subfolder);
bool running_under_ci();
// An empty folder of the system's temporary directory for one test's files.
std::filesystem::path scratch_folder(const std::string& name);

}  // namespace unet3d::testing
