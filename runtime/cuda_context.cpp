// Creation of the CUDA context, and the CUDA runtime services declared in gpu_runtime.h.
#include "runtime/cuda_context.h"

#include "runtime/error.h"
#include "runtime/gpu_runtime.h"

namespace unet3d::gpu {

Context& Context::get() {
  // Never destroyed: at process exit the CUDA libraries may already be unloading, and
  // destroying handles then can crash a run that has finished its work.
  static Context* context = new Context;
  return *context;
}

Context::Context() {
  UNET3D_USAGE_CHECK(gpu_available(), "the CUDA backend needs a GPU: ", gpu_unavailable_reason());
  UNET3D_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  UNET3D_CUDNN_CHECK(cudnnCreate(&cudnn_));
  UNET3D_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
  UNET3D_CUBLAS_CHECK(cublasCreate(&cublas_));
  UNET3D_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
}

namespace {

void* grown(Buffer& buffer, std::size_t bytes, cudaStream_t stream) {
  if (bytes > buffer.bytes()) {
    UNET3D_CUDA_CHECK(cudaStreamSynchronize(stream));  // the old buffer may still be in use
    buffer = Buffer(bytes, Device::cuda);
  }
  return buffer.data();
}

}  // namespace

void* Context::workspace(std::size_t bytes) {
  return grown(workspace_, bytes, stream_);
}

void* Context::scratch(std::size_t bytes) {
  return grown(scratch_, bytes, stream_);
}

bool detect(std::string& reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    reason =
        concat("no usable CUDA driver or device (cudaGetDeviceCount: ", cudaGetErrorName(status),
               ": ", cudaGetErrorString(status), ")");
    cudaGetLastError();  // the failed query must not surface as a later launch error
    return false;
  }
  if (count == 0) {
    reason = "no CUDA device present";
    return false;
  }
  return true;
}

void set_device(int index) {
  int count = 0;
  UNET3D_CUDA_CHECK(cudaGetDeviceCount(&count));
  // NCCL refuses two ranks on one GPU, and two would share its memory anyway.
  UNET3D_USAGE_CHECK(index < count, "local rank ", index, " on a machine with ", count,
                     " GPU(s): start at most one rank per GPU on each machine");
  UNET3D_CUDA_CHECK(cudaSetDevice(index));
}

void* allocate(std::size_t bytes) {
  void* pointer = nullptr;
  UNET3D_CUDA_CHECK(cudaMalloc(&pointer, bytes));
  return pointer;
}

void release(void* pointer) noexcept {
  cudaFree(pointer);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                std::size_t bytes) {
  const cudaMemcpyKind kind =
      dst_device == Device::cuda
          ? (src_device == Device::cuda ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
          : (src_device == Device::cuda ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  cudaStream_t s = stream();
  UNET3D_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, s));
  UNET3D_CUDA_CHECK(cudaStreamSynchronize(s));
}

void synchronize() {
  UNET3D_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void* workspace(std::size_t bytes) {
  return Context::get().workspace(bytes);
}

double time_ms(const std::function<void()>& run) {
  cudaEvent_t start, stop;
  UNET3D_CUDA_CHECK(cudaEventCreate(&start));
  UNET3D_CUDA_CHECK(cudaEventCreate(&stop));
  UNET3D_CUDA_CHECK(cudaEventRecord(start, stream()));
  run();
  UNET3D_CUDA_CHECK(cudaEventRecord(stop, stream()));
  UNET3D_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  UNET3D_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms;
}

std::size_t l2_cache_bytes() {
  int device = 0, bytes = 0;
  UNET3D_CUDA_CHECK(cudaGetDevice(&device));
  UNET3D_CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrL2CacheSize, device));
  return static_cast<std::size_t>(bytes);
}

std::size_t free_bytes() {
  std::size_t free = 0, total = 0;
  UNET3D_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

std::string describe() {
  int device = 0, runtime = 0;
  cudaDeviceProp properties{};
  UNET3D_CUDA_CHECK(cudaGetDevice(&device));
  UNET3D_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  UNET3D_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  const std::size_t cudnn = cudnnGetVersion();
  return concat(properties.name, ", CUDA runtime ", runtime / 1000, ".", runtime % 1000 / 10,
                ", cuDNN ", cudnn / 10000, ".", cudnn % 10000 / 100, ".", cudnn % 100);
}

void* allocate_pinned(std::size_t bytes) {
  void* pointer = nullptr;
  UNET3D_CUDA_CHECK(cudaMallocHost(&pointer, bytes));
  return pointer;
}

void release_pinned(void* pointer) noexcept {
  cudaFreeHost(pointer);
}

void copy_to_host_async(void* dst, const void* src, std::size_t bytes, void*& event) {
  if (event == nullptr) {
    cudaEvent_t created;
    UNET3D_CUDA_CHECK(cudaEventCreateWithFlags(&created, cudaEventDisableTiming));
    event = created;
  }
  UNET3D_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  UNET3D_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), stream()));
}

bool event_done(void* event) {
  const cudaError_t status = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (status == cudaErrorNotReady) {
    cudaGetLastError();  // "not ready" is no error: a later launch check must not see it
    return false;
  }
  UNET3D_CUDA_CHECK(status);
  return true;
}

void wait_for_event(void* event) {
  UNET3D_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event)));
}

void destroy_event(void* event) noexcept {
  if (event != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

bool is_f16_not_f32(DType t, const char* op) {
  UNET3D_USAGE_CHECK(t == DType::f16 || t == DType::f32, op, ": dtype ", dtype_name(t),
                     " (needs f16 or f32)");
  return t == DType::f16;
}

}  // namespace unet3d::gpu
