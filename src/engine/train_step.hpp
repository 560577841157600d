// One training step of this rank: the step schedule's instructions run on a
// GptEngine, with the data-parallel loss mean, the global gradient norm,
// clipping, and under fp16 the dynamic loss scale (an overflowing step is
// skipped). The same code runs one rank or many.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "config/config.hpp"
#include "engine/gpt_engine.hpp"
#include "engine/step_schedule.hpp"
#include "io/batch_reader.hpp"
#include "optim/loss_scaler.hpp"

namespace strata::engine {

struct StepResult {
  double loss = 0;        // mean over the global batch
  double grad_norm = 0;   // of the unscaled gradients (Inf on an fp16 overflow)
  bool skipped = false;   // fp16 overflow: no update
  double loss_scale = 1;  // the scale this step ran with
};

class StepExecutor {
 public:
  // engine and reader must outlive the executor; dp is the engine's group
  // (DP × SP). data_rank: this rank's data-parallel replica, whose rows it
  // reads (ProcessTopology's dp rank; the SP ranks of a replica share it).
  StepExecutor(GptEngine& engine, const io::BatchReader& reader, comm::Communicator& dp,
               const config::Config& config, std::uint64_t data_rank);

  StepResult run(std::int64_t step, kernels::AdamWHyper hyper);

  // Adam's t: optimizer updates so far (skipped fp16 steps do not count).
  std::int64_t optimizer_steps() const { return optimizer_steps_; }
  void set_optimizer_steps(std::int64_t steps) { optimizer_steps_ = steps; }
  const std::vector<Instruction>& schedule() const { return schedule_; }
  // The fp16 loss scaler's state (none in fp32 and bf16), for checkpoints.
  std::optional<optim::LossScalerState> loss_scale_state() const;
  // Continues a checkpoint's scaler state; source names the file for errors.
  // A checkpoint without one (written in fp32/bf16) leaves the scaler fresh.
  void restore_loss_scale(const std::optional<optim::LossScalerState>& state,
                          const std::string& source);

 private:
  GptEngine& engine_;
  const io::BatchReader& reader_;
  comm::Communicator& dp_;
  std::uint64_t data_rank_;
  double grad_clip_;
  std::vector<Instruction> schedule_;
  std::optional<optim::LossScaler> scaler_;  // fp16 only
  std::int64_t optimizer_steps_ = 0;
  double tokens_per_step_;  // global
};

}  // namespace strata::engine
