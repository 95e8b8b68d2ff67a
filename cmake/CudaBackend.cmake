# CUDA toolkit, cuBLAS and cuDNN for the CUDA backend. cuDNN may live in the toolkit or in the
# nvidia-cudnn Python package; CUDNN_ROOT (variable or environment) points at the latter.
find_package(CUDAToolkit REQUIRED)
# One CUDA runtime, the shared one, for every target (CMake's default for nvcc links it
# statically, which put both libcudart.so and libcudart_static on the link line).
set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
# CMake 3.25 (Debian 12's) does not know that nvcc (>= 12) takes -std=c++20: tell it.
if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
  set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CUDA20_COMPILE_FEATURES cuda_std_20)
  list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
endif()
set(CMAKE_CUDA_STANDARD 20)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)

add_library(unet3d::cublas INTERFACE IMPORTED)
if(TARGET CUDA::cublas)
  target_link_libraries(unet3d::cublas INTERFACE CUDA::cublas)
else()
  # A toolkit without cuBLAS: take it from the nvidia-cublas Python package (CUBLAS_ROOT).
  find_path(CUBLAS_INCLUDE_DIR cublas_v2.h HINTS ${CUBLAS_ROOT} $ENV{CUBLAS_ROOT}
            PATH_SUFFIXES include)
  find_library(CUBLAS_LIBRARY NAMES cublas libcublas.so.13 NAMES_PER_DIR
               HINTS ${CUBLAS_ROOT} $ENV{CUBLAS_ROOT}
               PATH_SUFFIXES lib lib64)
  if(NOT CUBLAS_INCLUDE_DIR OR NOT CUBLAS_LIBRARY)
    message(FATAL_ERROR "cuBLAS not found in the CUDA toolkit (${CUDAToolkit_LIBRARY_DIR}) nor "
                        "under CUBLAS_ROOT.")
  endif()
  target_include_directories(unet3d::cublas INTERFACE "${CUBLAS_INCLUDE_DIR}")
  target_link_libraries(unet3d::cublas INTERFACE "${CUBLAS_LIBRARY}")
endif()

set(_cudnn_hints ${CUDNN_ROOT} $ENV{CUDNN_ROOT} "${CUDAToolkit_LIBRARY_ROOT}"
                 "${CUDAToolkit_INCLUDE_DIRS}/..")
find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${_cudnn_hints} PATH_SUFFIXES include)
# The Python package ships only the versioned name libcudnn.so.9.
# NAMES_PER_DIR: the library must come from the folder the header came from, not a system
# libcudnn.so found first under another name.
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 NAMES_PER_DIR HINTS ${_cudnn_hints}
             PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
if(NOT CUDNN_INCLUDE_DIR OR NOT CUDNN_LIBRARY)
  message(FATAL_ERROR "cuDNN not found (cudnn.h: ${CUDNN_INCLUDE_DIR}, libcudnn: "
                      "${CUDNN_LIBRARY}). Set CUDNN_ROOT to the folder holding include/ and lib/.")
endif()
add_library(unet3d::cudnn INTERFACE IMPORTED)
target_include_directories(unet3d::cudnn INTERFACE "${CUDNN_INCLUDE_DIR}")
target_link_libraries(unet3d::cudnn INTERFACE "${CUDNN_LIBRARY}")

# NCCL (optional): GPU-to-GPU gradient sums between data-parallel ranks. It may live in the
# toolkit or in the nvidia-nccl Python package (NCCL_ROOT); without it, multi-GPU training sums
# through the host with MPI and one GPU trains as before.
set(_nccl_hints ${NCCL_ROOT} $ENV{NCCL_ROOT} "${CUDAToolkit_LIBRARY_ROOT}"
                "${CUDAToolkit_INCLUDE_DIRS}/..")
find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${_nccl_hints} PATH_SUFFIXES include)
find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR HINTS ${_nccl_hints}
             PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
set(UNET3D_BUILT_WITH_NCCL false)
if(UNET3D_WITH_NCCL AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
  set(UNET3D_BUILT_WITH_NCCL true)
  add_library(unet3d::nccl INTERFACE IMPORTED)
  target_include_directories(unet3d::nccl INTERFACE "${NCCL_INCLUDE_DIR}")
  target_link_libraries(unet3d::nccl INTERFACE "${NCCL_LIBRARY}")
  message(STATUS "unet3d: NCCL ON (${NCCL_LIBRARY})")
else()
  message(STATUS "unet3d: no NCCL found (or UNET3D_WITH_NCCL=OFF): several GPUs sum their "
                 "gradients through the host. Set NCCL_ROOT to the folder holding include/ "
                 "and lib/.")
endif()
