// GptEngine: the mechanics of one rank's training step on a GptModel —
// micro-batch forward/backward over the ParamStore's buffers, the global
// gradient norm and the AdamW update per ParamSpec. No I/O, no logging.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/memory_ledger.hpp"
#include "engine/param_store.hpp"
#include "io/batch_reader.hpp"
#include "kernels/adamw.hpp"
#include "model/gpt_model.hpp"

namespace strata::engine {

class GptEngine {
 public:
  // batch × seq is the micro-batch every call runs. Parameters are zero
  // until store().initialize(seed) or a checkpoint load.
  GptEngine(const model::GptShape& shape, int real_vocab, int batch, int seq, MemoryLedger& ledger);

  ParamStore& store() { return *store_; }
  const ParamStore& store() const { return *store_; }
  model::GptModel& model() { return *model_; }

  // Forward and backward of one micro-batch: returns its mean loss and ADDS
  // d(objective)/d(params) to the gradients, where the objective weights each
  // position's loss by dloss (1/(B·T·grad_accum) for the step's mean loss).
  double forward_backward(const io::TokenBatch& batch, float dloss);
  // Forward only: the micro-batch's mean loss, gradients untouched.
  double loss(const io::TokenBatch& batch);

  // sqrt(Σ g²) over every gradient, in double.
  double grad_norm() const;
  // One AdamW update of every parameter; step_count >= 1 is Adam's t. Weight
  // decay only on specs with weight_decay (matrices), as GPT-2 practice.
  // grad_scale multiplies the gradients first (the clip coefficient).
  void adamw_step(std::int64_t step_count, const kernels::AdamWHyper& hyper, float grad_scale);

 private:
  void load_batch(const io::TokenBatch& batch);
  double forward(bool training, float dloss);

  std::unique_ptr<ParamStore> store_;
  std::unique_ptr<model::GptModel> model_;
  std::vector<model::ParamViews> param_views_, grad_views_;  // per layer, built once
  model::StepContext ctx_;
  Tensor dresidual_;  // [B·T, C], the residual stream's gradient
};

}  // namespace strata::engine
