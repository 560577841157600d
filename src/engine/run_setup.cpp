// Run set-up: supported-layout checks, output directory, token file.
#include "engine/run_setup.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "core/app.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"

namespace strata::engine {

model::GptShape gpt_shape(const config::ModelSection& m) {
  return model::GptShape{m.n_layer, m.n_head, m.n_embd, m.block_size, m.vocab_size, m.bias};
}

int checkpointed_blocks(const config::Config& config) {
  const auto& ac = config.activation_checkpointing;
  if (!ac.enabled) return 0;
  return ac.num_blocks == 0 ? config.model.n_layer : ac.num_blocks;
}

namespace {

// What a GPU build (device memory apart from the host's) does not run yet:
// collectives on device buffers need the NCCL/RCCL transport wired into the
// app (Debian's Open MPI is not CUDA-aware), and checkpoints need their
// host staging.
void require_supported_on_device(const config::Config& config, int world_size) {
  if (world_size > 1)
    throw_input_error("the launch (" + std::to_string(world_size) + " ranks)",
                      "asks for several ranks, but this GPU build of strata-train trains on one "
                      "GPU only: its collectives on device memory are not wired to NCCL yet",
                      "run one rank (mpirun -np 1), or use the CPU build for multi-rank runs");
  if (config.checkpoint.every > 0)
    throw_input_error("[checkpoint] every = " + std::to_string(config.checkpoint.every),
                      "asks for checkpoints, which this GPU build cannot write yet (device "
                      "buffers have no host staging for HDF5)",
                      "set [checkpoint] every = 0, or use the CPU build");
}

}  // namespace

void require_supported(const config::Config& config, int world_size) {
  const auto& parallel = config.parallel;
  for (const auto& [key, value] :
       {std::pair<const char*, int>{"[parallel] pp", parallel.pp}, {"[parallel] ep", parallel.ep}})
    if (value != 1)
      throw_input_error(key,
                        "is " + std::to_string(value) +
                            ", but this build trains with data (ZeRO), tensor and Ulysses "
                            "sequence parallelism only; pipeline and expert parallelism are not "
                            "built yet",
                        std::string("set ") + key + " = 1; the " + std::to_string(world_size) +
                            " ranks then form tp x sp x data-parallel groups");
  if (config.offload.optimizer != config::OffloadDevice::none ||
      config.offload.param != config::OffloadDevice::none)
    throw_input_error("[offload] optimizer / param",
                      "ask for offloading, which is not implemented yet",
                      "set [offload] optimizer = none and [offload] param = none, and use "
                      "[zero] stage 3 to fit a larger model across ranks");
  if (config.train.optimizer != config::Optimizer::adamw)
    throw_input_error("[train] optimizer",
                      "is " + config::to_string(config.train.optimizer) +
                          ", but only adamw is implemented so far",
                      "set [train] optimizer = adamw");
  if (config.model.dropout != 0.0)
    throw_input_error(
        "[model] dropout",
        "is " + std::to_string(config.model.dropout) + ", but dropout is not implemented yet",
        "set [model] dropout = 0");
  if constexpr (!kDeviceMemoryIsHostMemory) require_supported_on_device(config, world_size);
}

void prepare_output_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK | X_OK) != 0)
    throw_input_error("[output] dir = " + dir,
                      "cannot be used as the run directory" +
                          (ec ? " (" + ec.message() + ")" : std::string(" (not writable)")),
                      "give a directory you can write to, or create it first");
}

io::TokenDataset open_training_data(const config::Config& config, MPI_Comm comm) {
  io::TokenFileExpectation expect;
  expect.tokenizer = config.data.tokenizer == config::Tokenizer::gpt2 ? "gpt2-bpe" : "char";
  expect.block_size = static_cast<std::uint64_t>(config.model.block_size);
  expect.need_val = config.train.eval_every > 0;
  if (config.data.path.empty())
    throw_input_error("[data] path", "is not set",
                      "set [data] path to a token file made by strata-prep");
  io::TokenDataset data = io::TokenDataset::open(comm, config.data.path, expect);
  const auto vocab = data.info().vocab_size;
  if (vocab > static_cast<std::uint64_t>(config.model.vocab_size))
    throw_input_error("[data] path = " + config.data.path,
                      "has vocab_size " + std::to_string(vocab) +
                          " but the model's [model] vocab_size is " +
                          std::to_string(config.model.vocab_size),
                      "set [model] vocab_size to at least " + std::to_string(vocab) +
                          ", or rerun strata-prep with the tokenizer the model was built for");
  return data;
}

}  // namespace strata::engine
