// UNET3D_HD marks a function that both nvcc's device code and the host compiler build: the
// per-element bodies that CUDA kernels call per thread and CPU loops call per element.
#pragma once

#ifdef __CUDACC__
#define UNET3D_HD __host__ __device__
#else
#define UNET3D_HD
#endif

// Marks a lambda that a shared kernel body hands to either backend's loop: an extended
// __host__ __device__ lambda under nvcc (built with --extended-lambda), a plain one elsewhere.
#ifdef __CUDACC__
#define UNET3D_HD_LAMBDA __host__ __device__
#else
#define UNET3D_HD_LAMBDA
#endif
