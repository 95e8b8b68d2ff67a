// How long an idle OpenMP thread spins before it sleeps. libgomp spins 300,000 times by default,
// so that beside one other busy process on 2 cores the waiting threads took the cores from the
// working ones and a training step slowed more than 3x; spinning 1,000 times costs the unloaded
// step about 3 % and keeps the loaded one near 2x (bench/RESULTS.md). libgomp reads its settings
// once, as it loads: a program sets them by running itself again with them in its environment.
#pragma once

namespace unet3d {

// Unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is already set (the user's choice wins), sets
// GOMP_SPINCOUNT=1000 and re-executes the program with the same arguments; returns only when
// nothing is to be done or the re-execution failed (the program then runs with libgomp's default).
void bound_openmp_spinning(char** argv);

}  // namespace unet3d
