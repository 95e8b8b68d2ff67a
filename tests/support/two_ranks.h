// How the mpi tests start a program on 2 ranks (their executables define MPIEXEC_PATH).
#pragma once

#include <string>

namespace unet3d::testing {

// CI runs as root in a container: Open MPI refuses root unless told, and wants its shared-memory
// transport without the single-copy mechanism there. `timeout` ends a hung job (exit 124).
inline const std::string kEnvironment =
    "OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none ";
inline const std::string kTwoRanks =
    kEnvironment + "timeout 60 " + MPIEXEC_PATH + " --oversubscribe -np 2 ";

}  // namespace unet3d::testing
