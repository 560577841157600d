// StepExecutor: the schedule's instructions, then norm, clip and update.
#include "engine/train_step.hpp"

#include <cmath>

#include "core/log.hpp"
#include "kernels/grad_norm.hpp"

namespace strata::engine {

StepExecutor::StepExecutor(GptEngine& engine, const io::BatchReader& reader, comm::Communicator& dp,
                           const config::Config& config, std::uint64_t data_rank)
    : engine_(engine),
      reader_(reader),
      dp_(dp),
      data_rank_(data_rank),
      grad_clip_(config.train.grad_clip),
      schedule_(data_parallel_schedule(config.train.grad_accum)) {
  if (config.precision.dtype == config::DType::fp16) scaler_.emplace(config.precision);
  const auto& layout = reader.layout();
  // layout.dp counts replicas: the SP ranks of one share its samples.
  tokens_per_step_ =
      static_cast<double>(layout.micro_batch * layout.grad_accum * layout.dp) * engine.seq();
}

std::optional<optim::LossScalerState> StepExecutor::loss_scale_state() const {
  if (!scaler_) return std::nullopt;
  return scaler_->state();
}

void StepExecutor::restore_loss_scale(const std::optional<optim::LossScalerState>& state,
                                      const std::string& source) {
  if (scaler_ && state) scaler_->restore(*state, source);
}

StepResult StepExecutor::run(std::int64_t step, kernels::AdamWHyper hyper) {
  StepResult result;
  result.loss_scale = scaler_ ? scaler_->scale() : 1.0;
  // Each position's loss enters the objective with weight 1/(global tokens),
  // so the gradients summed over DP × SP (each SP rank holding its own
  // positions) are the global batch's mean gradient.
  const auto dloss = static_cast<float>(result.loss_scale / tokens_per_step_);
  const int micro_batches = static_cast<int>(reader_.layout().grad_accum);
  io::TokenBatch batch;
  double local_loss = 0;
  for (const Instruction& instruction : schedule_) {
    const auto micro = static_cast<std::uint64_t>(instruction.micro_batch);
    switch (instruction.op) {
      case StepOp::load_micro_batch:
        batch = reader_.micro_batch(io::TokenSplit::train, static_cast<std::uint64_t>(step),
                                    data_rank_, micro);
        break;
      case StepOp::forward:
        local_loss += engine_.forward(batch, dloss, instruction.micro_batch + 1 == micro_batches);
        break;
      case StepOp::backward: engine_.backward(); break;
      case StepOp::reduce_gradients: engine_.reduce_gradients(); break;
      case StepOp::optimizer_step: {
        // Every rank of DP × SP averaged the same number of positions, so the
        // mean of their means is the global batch's mean loss.
        const double ranks_loss = dp_.size() == 1 ? local_loss : dp_.all_reduce_sum(local_loss);
        result.loss = ranks_loss / (micro_batches * dp_.size());
        if (scaler_ && engine_.has_overflow()) {
          result.skipped = true;
          result.grad_norm = INFINITY;
          const double before = scaler_->scale();
          scaler_->update(true);
          log::info(optim::skipped_step_line(step + 1, before, scaler_->scale()));
          break;
        }
        result.grad_norm = engine_.grad_norm() / result.loss_scale;
        const float clip = kernels::clip_coefficient(result.grad_norm, grad_clip_);
        engine_.adamw_step(++optimizer_steps_, hyper, static_cast<float>(clip / result.loss_scale));
        if (scaler_) scaler_->update(false);
        break;
      }
    }
  }
  return result;
}

}  // namespace strata::engine
