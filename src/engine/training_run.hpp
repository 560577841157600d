// One training run on one rank, from a validated Config to the run
// directory DESIGN.md lists: config.resolved.ini, log.txt, metrics.csv,
// ledger.json, checkpoints/step-N.h5.
#pragma once

#include <mpi.h>

#include <optional>

#include "config/config.hpp"

namespace strata::engine {

struct TrainingSummary {
  int steps_run = 0;      // this invocation (a resumed run starts mid-way)
  double final_loss = 0;  // the last step's training loss
  std::optional<double> final_val_loss;
  double tokens_per_s = 0;  // over the steps run, evaluation excluded
};

// config must have been through validate_on_all_ranks. Data-parallel and
// other layouts arrive with ZeRO; this runs the world's single rank.
TrainingSummary run_training(const config::Config& config, MPI_Comm comm);

}  // namespace strata::engine
