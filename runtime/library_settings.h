// Settings that libgomp and OpenBLAS read once, as they load: a program sets them by running
// itself again with them in its environment.
//
// How long an idle OpenMP thread spins before it sleeps: libgomp spins 300,000 times by default,
// so that beside one other busy process on 2 cores the waiting threads took the cores from the
// working ones and a training step slowed more than 3x; spinning 1,000 times costs the unloaded
// step about 3 % and keeps the loaded one near 2x (bench/RESULTS.md).
//
// Which kernels OpenBLAS uses: a CPU it does not recognise (a virtual machine's CPU model, a
// newer one than the library) gets its generic SSE3 kernels ("Prescott"), 5x slower than the
// AVX-512 ones on the same machine (bench/RESULTS.md).
#pragma once

#include <string>

namespace unet3d {

// Unless the user set them: GOMP_SPINCOUNT=1000 (unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is
// set), and OPENBLAS_CORETYPE where blas_core_upgrade names one; then re-executes the program
// with the same arguments. Returns only when nothing is to be done or the re-execution failed
// (the program then runs with the libraries' defaults).
void apply_library_settings(char** argv);

// The OpenBLAS core to ask for when OpenBLAS chose `chosen` (openblas_get_corename()) on a CPU
// with AVX-512 (x86-64-v4) or AVX2 and FMA (x86-64-v3): "SkylakeX" or "Haswell" where `chosen` is
// a core without AVX2; "" where its choice stands.
std::string blas_core_upgrade(const std::string& chosen, bool avx512, bool avx2);

}  // namespace unet3d
