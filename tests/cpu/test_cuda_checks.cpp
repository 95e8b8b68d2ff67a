// The CUDA, cuDNN and cuBLAS check macros' messages (no GPU needed: only the status is
// turned into text).
#include <catch2/catch.hpp>

#include "runtime/cuda_check.h"
#include "runtime/error.h"

using namespace unet3d;

namespace {

// The message and, after it, where the Error says it was thrown.
std::string message_of(void (*fail)()) {
  try {
    fail();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::runtime);
    return concat(e.what(), " [", e.where(), "]");
  }
  return "(no error thrown)";
}

}  // namespace

TEST_CASE("CUDA check macros throw with the call, the reason, the file and the line",
          "[errors][cuda]") {
  CHECK_THAT(message_of([] { UNET3D_CUDA_CHECK(static_cast<cudaError_t>(2)); }),
             Catch::Contains("static_cast<cudaError_t>(2) failed") &&
                 Catch::Contains("(cudaErrorMemoryAllocation)") &&
                 Catch::Contains("failed: out of memory") &&
                 Catch::Contains("test_cuda_checks.cpp:"));
  CHECK_THAT(message_of([] { UNET3D_CUDNN_CHECK(static_cast<cudnnStatus_t>(2000)); }),
             Catch::Contains("CUDNN_STATUS_BAD_PARAM") && Catch::Contains("test_cuda_checks.cpp:"));
  CHECK_THAT(
      message_of([] { UNET3D_CUBLAS_CHECK(static_cast<cublasStatus_t>(7)); }),
      Catch::Contains("CUBLAS_STATUS_INVALID_VALUE") && Catch::Contains("test_cuda_checks.cpp:"));
  UNET3D_CUDA_CHECK(cudaSuccess);  // success is silent
}
