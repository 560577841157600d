// Saving and restoring a ParamStore (parameters, AdamW moments, step)
// through the checkpoint library. The batch reader is a pure function of
// (seed, step), so the step is the whole data position: no cursor to save.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "engine/param_store.hpp"

namespace strata::engine {

// Writes <dir>/step-<step>.h5 (step = optimizer steps completed) and moves
// `latest` to it. config_text: config.resolved.ini, stored for provenance.
std::string save_checkpoint(MPI_Comm comm, const ParamStore& store, const std::string& dir,
                            std::uint64_t step, std::uint64_t seed, const std::string& config_text);

// Loads parameters and moments from path into store; returns the step
// stored (the index of the next step to run). Errors name the file.
std::uint64_t load_checkpoint(MPI_Comm comm, ParamStore& store, const std::string& path,
                              std::uint64_t seed);

}  // namespace strata::engine
