// Saving and restoring a ZeroStore (fp32 master parameters, AdamW moments,
// step) through the checkpoint library: each rank writes and reads its own
// pieces of every logical tensor, so any layout loads any checkpoint. The batch reader is a pure
// function of (seed, step), so the step is the whole data position: no cursor to save.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>

#include "optim/loss_scaler.hpp"
#include "zero/zero_store.hpp"

namespace strata::engine {

// Where training stands besides the tensors: optimizer steps completed,
// Adam's t (fewer when fp16 skipped steps), the fp16 loss scaler's state.
struct TrainingProgress {
  std::uint64_t step = 0;
  std::uint64_t optimizer_step = 0;
  std::optional<optim::LossScalerState> loss_scale;
};

// Writes <dir>/step-<progress.step>.h5 and moves `latest` to it.
// config_text: config.resolved.ini, stored for provenance. write_unsplit:
// whether this rank writes the parameters every TP rank holds whole
// (ZeroStore::checkpoint_shards); true on exactly one rank of each TP group.
std::string save_checkpoint(MPI_Comm comm, const zero::ZeroStore& store, const std::string& dir,
                            const TrainingProgress& progress, std::uint64_t seed,
                            const std::string& config_text, bool write_unsplit = true);

// Loads parameters and moments from path into store (any layout wrote it);
// returns the progress stored, whose step is the index of the next step to
// run. Errors name the file.
TrainingProgress load_checkpoint(MPI_Comm comm, zero::ZeroStore& store, const std::string& path,
                                 std::uint64_t seed);

}  // namespace strata::engine
