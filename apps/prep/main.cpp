// strata-prep: turns text into the HDF5 token file that strata-train reads
// (docs/data.md). A serial tool: rank 0 does the work; other ranks, if any,
// only share its outcome so that every rank exits the same way.
#include <mpi.h>

#include "core/app.hpp"
#include "core/error.hpp"
#include "prep_options.hpp"
#include "prep_run.hpp"

int main(int argc, char** argv) {
  return strata::run_app("strata-prep", argc, argv, [](int app_argc, char** app_argv) {
    const auto options = strata::prep::parse_prep_options(app_argc, app_argv);
    if (!options) return 0;
    strata::agree_on_success(MPI_COMM_WORLD, [&] {
      if (strata::world_rank() == 0) strata::prep::run_prep(*options);
    });
    return 0;
  });
}
