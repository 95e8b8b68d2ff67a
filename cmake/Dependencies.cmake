# Host dependencies from Debian packages: nifticlib, stb, OpenBLAS, OpenMP (Catch2 in tests/).
# Each becomes an imported target named unet3d::<name>. Prefixes unpacked by tools/device_check.sh
# are reached through CMAKE_PREFIX_PATH.

find_package(OpenMP REQUIRED COMPONENTS CXX)

# Debian's NIFTIConfig.cmake names a libznz path that does not exist, so the headers and
# libraries are found directly. libnifti2 needs libznz (nifti2_io.h includes znzlib.h); libznz
# brings its own dependency on the system's libz.so.1, so no zlib development files are needed.
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti)
find_library(NIFTI2_LIBRARY nifti2)
find_library(ZNZ_LIBRARY znz)
if(NOT NIFTI_INCLUDE_DIR OR NOT NIFTI2_LIBRARY OR NOT ZNZ_LIBRARY)
  message(FATAL_ERROR "nifticlib not found (nifti2_io.h: ${NIFTI_INCLUDE_DIR}, libnifti2: "
                      "${NIFTI2_LIBRARY}, libznz: ${ZNZ_LIBRARY}). Run tools/bootstrap.sh or "
                      "install libnifti2-dev.")
endif()
add_library(unet3d::nifti INTERFACE IMPORTED)
target_include_directories(unet3d::nifti INTERFACE "${NIFTI_INCLUDE_DIR}")
target_link_libraries(unet3d::nifti INTERFACE "${NIFTI2_LIBRARY}" "${ZNZ_LIBRARY}" m)

find_path(STB_INCLUDE_DIR stb_image_write.h PATH_SUFFIXES stb)
if(NOT STB_INCLUDE_DIR)
  message(FATAL_ERROR "stb_image_write.h not found. Run tools/bootstrap.sh or install libstb-dev.")
endif()
add_library(unet3d::stb INTERFACE IMPORTED)
target_include_directories(unet3d::stb INTERFACE "${STB_INCLUDE_DIR}")

# OpenBLAS: Debian installs it behind alternatives; an unpacked .deb keeps it under
# openblas-openmp/ or openblas-pthread/, so all those places are searched. The OpenMP build comes
# first: it shares the OpenMP thread pool of our own loops, while the pthread build keeps its own
# threads spinning beside them (on 2 cores that made the CPU training step 2.4x slower).
find_path(OPENBLAS_INCLUDE_DIR cblas.h
          PATH_SUFFIXES x86_64-linux-gnu/openblas-openmp openblas-openmp
                        x86_64-linux-gnu/openblas-pthread openblas-pthread openblas)
find_library(OPENBLAS_LIBRARY openblas
             PATH_SUFFIXES x86_64-linux-gnu/openblas-openmp openblas-openmp
                           x86_64-linux-gnu/openblas-pthread openblas-pthread)
if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS not found (cblas.h: ${OPENBLAS_INCLUDE_DIR}, libopenblas: "
                      "${OPENBLAS_LIBRARY}). Run tools/bootstrap.sh or install "
                      "libopenblas-openmp-dev.")
endif()
if(NOT OPENBLAS_LIBRARY MATCHES "openblas-openmp")
  message(WARNING "unet3d: OpenBLAS ${OPENBLAS_LIBRARY} is not the OpenMP build; its threads "
                  "will compete with OpenMP's and slow the CPU backend. Install "
                  "libopenblas-openmp-dev.")
endif()
add_library(unet3d::openblas INTERFACE IMPORTED)
target_include_directories(unet3d::openblas INTERFACE "${OPENBLAS_INCLUDE_DIR}")
target_link_libraries(unet3d::openblas INTERFACE "${OPENBLAS_LIBRARY}")
