# Host dependencies from Debian packages: nifticlib, stb, OpenBLAS, OpenMP (Catch2 in tests/).
# Each becomes an imported target named unet3d::<name>. Prefixes unpacked by tools/device_check.sh
# are reached through CMAKE_PREFIX_PATH.

find_package(OpenMP REQUIRED COMPONENTS CXX)

# The imported target `target` from the variables that find_path (the first) and find_library
# (the rest) filled, or a fatal error naming those not found and the Debian package to install.
function(unet3d_import target package include_var)
  set(missing "")
  foreach(var IN ITEMS ${include_var} ${ARGN})
    if(NOT ${var})
      list(APPEND missing ${var})
    endif()
  endforeach()
  if(missing)
    message(FATAL_ERROR "${target}: ${missing} not found. Run tools/bootstrap.sh or install "
                        "${package}.")
  endif()
  add_library(${target} INTERFACE IMPORTED)
  target_include_directories(${target} INTERFACE "${${include_var}}")
  foreach(var IN ITEMS ${ARGN})
    target_link_libraries(${target} INTERFACE "${${var}}")
  endforeach()
endfunction()

# Debian's NIFTIConfig.cmake names a libznz path that does not exist, so the headers and
# libraries are found directly. libnifti2 needs libznz (nifti2_io.h includes znzlib.h); libznz
# brings its own dependency on the system's libz.so.1, so no zlib development files are needed.
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti)
find_library(NIFTI2_LIBRARY nifti2)
find_library(ZNZ_LIBRARY znz)
unet3d_import(unet3d::nifti libnifti2-dev NIFTI_INCLUDE_DIR NIFTI2_LIBRARY ZNZ_LIBRARY)
target_link_libraries(unet3d::nifti INTERFACE m)

find_path(STB_INCLUDE_DIR stb_image_write.h PATH_SUFFIXES stb)
unet3d_import(unet3d::stb libstb-dev STB_INCLUDE_DIR)

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
unet3d_import(unet3d::openblas libopenblas-openmp-dev OPENBLAS_INCLUDE_DIR OPENBLAS_LIBRARY)
if(NOT OPENBLAS_LIBRARY MATCHES "openblas-openmp")
  message(WARNING "unet3d: OpenBLAS ${OPENBLAS_LIBRARY} is not the OpenMP build; its threads "
                  "will compete with OpenMP's and slow the CPU backend. Install "
                  "libopenblas-openmp-dev.")
endif()
