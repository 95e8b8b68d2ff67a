// UNET3D_CPU_CLONES: compile a hot CPU loop for AVX-512, AVX2+FMA and plain x86-64, GCC's
// target_clones picking one as the program loads, so the build needs no -march flag and runs on
// any x86-64 machine. (Not under clang or the sanitizers, which build the plain version only.)
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define UNET3D_CPU_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define UNET3D_CPU_CLONES_BUILT
#else
#define UNET3D_CPU_CLONES
#endif
