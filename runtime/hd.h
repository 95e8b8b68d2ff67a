// UNET3D_HD marks a function that both nvcc's device code and the host compiler build: the
// per-element bodies that CUDA kernels call per thread and CPU loops call per element.
#pragma once

#ifdef __CUDACC__
#define UNET3D_HD __host__ __device__
#else
#define UNET3D_HD
#endif
