// GptEngine: the mechanics of one rank's part of a training step on a
// GptModel: micro-batch forward and backward layer by layer, with the
// ZeroStore deciding where each layer's parameters and gradients live (any
// ZeRO stage, any precision), the global gradient norm and the AdamW
// update. No I/O, no logging.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "io/batch_reader.hpp"
#include "kernels/adamw.hpp"
#include "model/gpt_model.hpp"
#include "zero/zero_store.hpp"

namespace strata::engine {

// How this rank's model runs beyond ZeRO.
struct EngineOptions {
  // The Ulysses group when it has more than one rank: every call is handed
  // the same full sequences on each of its ranks, and rank r runs positions
  // r·seq/SP … (docs/sequence_parallel.md).
  comm::Communicator* sp = nullptr;
  // Blocks h.0 .. that recompute their activations in backward
  // (docs/activation_checkpointing.md).
  int checkpointed_blocks = 0;
  // The tensor-parallel group when it has more than one rank: every call
  // is handed the same micro-batch on each of its ranks, and each holds its
  // Megatron piece of the parameters (docs/tensor_parallel.md).
  comm::Communicator* tp = nullptr;
};

class GptEngine {
 public:
  // batch × seq is the micro-batch every call is handed. dp is the group the
  // ZeroStore partitions over (a one-rank communicator for a single
  // process; DP × SP under sequence parallelism). Parameters are zero until
  // store().initialize(seed) or a checkpoint load.
  GptEngine(const model::GptShape& shape, int real_vocab, int batch, int seq,
            const zero::ZeroOptions& zero, comm::Communicator& dp, MemoryLedger& ledger,
            const EngineOptions& options = {});

  zero::ZeroStore& store() { return *store_; }
  const zero::ZeroStore& store() const { return *store_; }
  model::GptModel& model() { return *model_; }
  // Positions per sample of a micro-batch (the model runs seq() / sp_size()).
  int seq() const { return seq_; }
  int sp_size() const { return sp_ ? sp_->size() : 1; }
  int tp_size() const { return tp_ ? tp_->size() : 1; }

  // Forward and backward of one micro-batch: returns its mean loss (this
  // rank's rows) and ADDS d(objective)/d(params) to the gradients, where the
  // objective weights each position's loss by dloss (1/(global tokens) for
  // the step's mean loss, times the loss scale under fp16). last: the step's
  // last micro-batch, after which the gradients are complete and reduced.
  double forward_backward(const io::TokenBatch& batch, float dloss, bool last = true);
  // The same as three instructions of a step schedule: forward_backward is
  // forward, backward, reduce_gradients.
  double forward(const io::TokenBatch& batch, float dloss, bool last);
  void backward();
  // Waits for this micro-batch's gradient reductions (started during
  // backward) and frees what the pass kept.
  void reduce_gradients();
  // Forward only: the micro-batch's mean loss, gradients untouched.
  double loss(const io::TokenBatch& batch);

  // sqrt(Σ g²) over every gradient of the model, in double: the DP group's,
  // and under tensor parallelism every TP rank's split pieces with the
  // replicated parameters counted once.
  double grad_norm();
  // Whether any rank of the DP and TP groups holds a non-finite gradient.
  bool has_overflow();
  // One AdamW update of every parameter; step_count >= 1 is Adam's t. Weight
  // decay only on specs with weight_decay (matrices), as GPT-2 practice.
  // grad_scale multiplies the gradients first (clip coefficient / loss scale).
  void adamw_step(std::int64_t step_count, const kernels::AdamWHyper& hyper, float grad_scale);

 private:
  void load_batch(const io::TokenBatch& batch);
  double run_forward(bool training, float dloss);

  comm::Communicator* sp_ = nullptr;  // null or one rank: no sequence parallelism
  comm::Communicator* tp_ = nullptr;  // null or one rank: no tensor parallelism
  int seq_ = 0;
  bool last_micro_batch_ = true;
  std::unique_ptr<model::GptModel> model_;
  std::unique_ptr<zero::ZeroStore> store_;
  model::StepContext ctx_;
  Tensor dresidual_;  // [B·T, C], the residual stream's gradient
};

}  // namespace strata::engine
