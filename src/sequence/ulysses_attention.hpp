// UlyssesAttention: DeepSpeed-Ulysses' distributed attention for one
// transformer block. This rank computed q, k, v for its T/SP positions and
// every head; one all-to-all over the sp group turns them into every
// position of NH/SP heads, attention runs on the full sequence for those
// heads, and a second all-to-all returns the output to the rank's
// positions. Backward runs the conjugate exchanges (docs/sequence_parallel.md).
#pragma once

#include <memory>
#include <string>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/attention.hpp"
#include "model/attention_core.hpp"
#include "model/gpt_params.hpp"
#include "sequence/ulysses_layout.hpp"

namespace strata::sequence {

// Buffers no block keeps between calls, shared by all blocks of a model
// (one block at a time computes): the exchange buffers, the head-split
// gradients of backward and the attention kernels' workspace.
struct UlyssesScratch {
  UlyssesScratch(MemoryLedger& ledger, const UlyssesLayout& qkv,
                 const kernels::AttentionPlan& plan);
  Tensor send, recv;              // [B·T/SP · 3C] each: the largest exchange
  Tensor dout_heads, dqkv_heads;  // [B·T, C/SP], [B·T, 3C/SP]
  Tensor workspace;               // plan.workspace_floats
};

// What a core's forward saves for its backward: the head-split inputs and
// output of the attention kernels and what they keep themselves. A core
// owns one set, unless its block is activation-checkpointed: then all
// checkpointed blocks' cores share one, which the block's recompute refills.
struct UlyssesSaved {
  // prefix names the ledger entries ("h.3." or "blocks.checkpointed.").
  UlyssesSaved(MemoryLedger& ledger, const std::string& prefix, const UlyssesLayout& qkv,
               const kernels::AttentionPlan& plan);
  Tensor qkv_heads, out_heads;  // [B·T, 3C/SP], [B·T, C/SP]
  Tensor attention;             // plan.saved_floats
};

class UlyssesAttention final : public model::AttentionCore {
 public:
  // plan: attention over the full sequence T for NH/SP heads (C/SP
  // channels), for B samples. saved: the core's own set or the one shared by
  // checkpointed blocks.
  UlyssesAttention(comm::Communicator& sp, const kernels::AttentionPlan& plan,
                   std::shared_ptr<UlyssesScratch> scratch, UlyssesSaved saved);

  // qkv [B·T/SP, 3C] → out [B·T/SP, C], this rank's positions.
  void forward(const kernels::ConstMatrixF& qkv, const kernels::MatrixF& out) override;
  void backward(const kernels::ConstMatrixF& dout, const kernels::MatrixF& dqkv) override;

 private:
  comm::Communicator& sp_;
  kernels::AttentionPlan plan_;
  UlyssesLayout qkv_layout_, out_layout_;
  std::shared_ptr<UlyssesScratch> scratch_;
  UlyssesSaved saved_;
};

// What GptModel needs to give every block a UlyssesAttention on sp for a
// micro-batch of `batch` samples of `seq` positions (the full sequence).
// Blocks h.0 .. h.{checkpointed_blocks - 1} share one saved set. Throws an
// input Error naming [parallel] sp when sp's size does not divide [model]
// n_head or the sequence length.
model::AttentionCoreFactory ulysses_attention_cores(comm::Communicator& sp,
                                                    const model::GptShape& shape, int batch,
                                                    int seq, MemoryLedger& ledger,
                                                    int checkpointed_blocks = 0);

// Throws the input Errors above; nothing when sp_size divides both.
void check_sequence_parallel(int sp_size, const model::GptShape& shape, int seq);

}  // namespace strata::sequence
