// ParamStore <-> checkpoint: one whole-tensor shard per ParamSpec (one
// rank holds everything at stage 0).
#include "engine/checkpointing.hpp"

#include <vector>

#include "core/error.hpp"
#include "io/checkpoint/checkpoint_reader.hpp"
#include "io/checkpoint/checkpoint_writer.hpp"

namespace strata::engine {
namespace {
io::TensorSlice whole(const model::ParamSpec& spec) {
  io::TensorSlice slice;
  for (auto d : spec.shape) slice.shape.push_back(static_cast<std::uint64_t>(d));
  slice.offset = 0;
  slice.count = static_cast<std::uint64_t>(model::numel(spec));
  return slice;
}
}  // namespace

std::string save_checkpoint(MPI_Comm comm, const ParamStore& store, const std::string& dir,
                            std::uint64_t step, std::uint64_t seed,
                            const std::string& config_text) {
  std::vector<io::ParameterShard> shards;
  for (std::size_t i = 0; i < store.specs().size(); ++i)
    shards.push_back({store.specs()[i].name, whole(store.specs()[i]), store.param(i).data(),
                      store.exp_avg(i).data(), store.exp_avg_sq(i).data()});
  io::CheckpointState state;
  state.step = step;
  state.optimizer_step = step;  // fp32: every step updates, so Adam's t = step
  state.rng_seed = seed;
  state.data_step = step;  // the sampler is (seed, step) -> batch
  state.config = config_text;
  return io::write_checkpoint(comm, dir, state, shards);
}

std::uint64_t load_checkpoint(MPI_Comm comm, ParamStore& store, const std::string& path,
                              std::uint64_t seed) {
  std::vector<io::ParameterTarget> targets;
  for (std::size_t i = 0; i < store.specs().size(); ++i)
    targets.push_back({store.specs()[i].name, whole(store.specs()[i]), store.param(i).data(),
                       store.exp_avg(i).data(), store.exp_avg_sq(i).data()});
  const io::CheckpointState state = io::read_checkpoint(comm, path, targets);
  if (state.rng_seed != seed)
    throw_input_error("[checkpoint] resume = " + path,
                      "was written by a run with [train] seed " + std::to_string(state.rng_seed) +
                          " but this run has seed " + std::to_string(seed),
                      "resume with the seed of the run that wrote it, or start a fresh run");
  return state.step;
}

}  // namespace strata::engine
