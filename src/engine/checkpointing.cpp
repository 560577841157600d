// ZeroStore and training progress <-> checkpoint: the store names each
// rank's pieces; the progress rides in the state's scalars.
#include "engine/checkpointing.hpp"

#include "core/error.hpp"
#include "io/checkpoint/checkpoint_reader.hpp"
#include "io/checkpoint/checkpoint_writer.hpp"

namespace strata::engine {
namespace {

// The loss scaler's state as /optimizer scalars (doubles hold every
// counter exactly below 2^53).
constexpr const char* kScale = "loss_scale";
constexpr const char* kUpdates = "loss_scale.updates";
constexpr const char* kLastOverflow = "loss_scale.last_overflow_update";
constexpr const char* kHysteresis = "loss_scale.hysteresis_left";
constexpr const char* kSkipped = "loss_scale.skipped_steps";

}  // namespace

std::string save_checkpoint(MPI_Comm comm, const zero::ZeroStore& store, const std::string& dir,
                            const TrainingProgress& progress, std::uint64_t seed,
                            const std::string& config_text, bool write_unsplit) {
  io::CheckpointState state;
  state.step = progress.step;
  state.optimizer_step = progress.optimizer_step;
  state.rng_seed = seed;
  state.data_step = progress.step;  // the sampler is (seed, step) -> batch
  state.config = config_text;
  if (const auto& scale = progress.loss_scale) {
    state.optimizer_scalars[kScale] = scale->scale;
    state.optimizer_scalars[kUpdates] = static_cast<double>(scale->updates);
    state.optimizer_scalars[kLastOverflow] = static_cast<double>(scale->last_overflow_update);
    state.optimizer_scalars[kHysteresis] = scale->hysteresis_left;
    state.optimizer_scalars[kSkipped] = static_cast<double>(scale->skipped_steps);
  }
  return io::write_checkpoint(comm, dir, state, store.checkpoint_shards(write_unsplit));
}

TrainingProgress load_checkpoint(MPI_Comm comm, zero::ZeroStore& store, const std::string& path,
                                 std::uint64_t seed) {
  const io::CheckpointState state = io::read_checkpoint(comm, path, store.checkpoint_targets());
  if (state.rng_seed != seed)
    throw_input_error("[checkpoint] resume = " + path,
                      "was written by a run with [train] seed " + std::to_string(state.rng_seed) +
                          " but this run has seed " + std::to_string(seed),
                      "resume with the seed of the run that wrote it, or start a fresh run");
  store.publish_params();
  TrainingProgress progress;
  progress.step = state.step;
  progress.optimizer_step = state.optimizer_step;
  const auto& scalars = state.optimizer_scalars;
  if (scalars.count(kScale)) {
    optim::LossScalerState scale;
    auto get = [&](const char* name) { return scalars.count(name) ? scalars.at(name) : 0.0; };
    scale.scale = get(kScale);
    scale.updates = static_cast<std::int64_t>(get(kUpdates));
    scale.last_overflow_update = static_cast<std::int64_t>(get(kLastOverflow));
    scale.hysteresis_left = static_cast<int>(get(kHysteresis));
    scale.skipped_steps = static_cast<std::int64_t>(get(kSkipped));
    progress.loss_scale = scale;
  }
  return progress;
}

}  // namespace strata::engine
