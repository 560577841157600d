// strata-train: trains a GPT-2-style model from an input deck
// (docs/training.md). `strata-train deck.ini [--section.key=value ...]
// [--deepspeed ds.json]`; one rank for now.
#include <mpi.h>

#include <iostream>

#include "config/load.hpp"
#include "config/validate.hpp"
#include "core/app.hpp"
#include "core/log.hpp"
#include "engine/run_setup.hpp"
#include "engine/training_run.hpp"
#include "kernels/blas_runtime.hpp"

int main(int argc, char** argv) {
  // Before MPI and Kokkos start: it may re-exec the process (docs/blas.md).
  strata::kernels::ensure_blas_tuning(argc, argv);
  return strata::run_app("strata-train", argc, argv, [](int app_argc, char** app_argv) {
    const auto command_line = strata::config::parse_command_line(app_argc, app_argv);
    if (command_line.help) {
      if (strata::world_rank() == 0)
        std::cout << strata::config::command_line_usage("strata-train");
      return 0;
    }
    if (command_line.deck_path.empty())
      strata::throw_input_error("strata-train", "needs an input deck",
                                "run strata-train deck.ini (see inputs/tiny.ini)");
    auto config = strata::config::load_config(command_line);
    strata::config::validate_on_all_ranks(config, MPI_COMM_WORLD);
    int world = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    strata::engine::require_supported(config, world);
    strata::log::set_level(config.log.level);
    strata::log::set_all_ranks(config.log.all_ranks);
    strata::log::info("BLAS: ", strata::kernels::describe(strata::kernels::blas_info()));
    strata::engine::run_training(config, MPI_COMM_WORLD);
    return 0;
  });
}
