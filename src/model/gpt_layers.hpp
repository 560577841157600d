// The three GPT-2 layer kinds: token+position embedding, the pre-LN
// transformer block, and the final LayerNorm with the tied LM head and the
// fused cross-entropy. Each owns its saved activations (ledger: activation),
// but for checkpointed blocks, which share all of theirs except the output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/attention.hpp"
#include "model/attention_core.hpp"
#include "model/block_activations.hpp"
#include "model/gpt_params.hpp"
#include "model/layer.hpp"
#include "tensor_parallel/vocab_parallel_loss.hpp"
#include "tensor_parallel/vocab_shard.hpp"

namespace strata::model {

// Tensor parallelism (tp non-null with more than one rank), in every layer:
// Megatron's placement (split_for_tensor_parallel), each layer's pieces
// combined by the region operators of tensor_parallel/regions.hpp.
class EmbeddingLayer final : public Layer {
 public:
  // Under tensor parallelism the rank holds its vocabulary block of wte; the
  // token rows outside it are zero until the all-reduce (g) sums them, wpe
  // entering on TP rank 0 only.
  EmbeddingLayer(const GptShape& shape, MemoryLedger& ledger, int batch, int seq,
                 comm::Communicator* tp = nullptr);
  std::string name() const override { return "embedding"; }
  std::vector<ParamSpec> params() const override { return specs_; }
  kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                const kernels::ConstMatrixF& input) override;
  void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                const kernels::MatrixF& dresidual) override;

 private:
  GptShape shape_;
  comm::Communicator* tp_;
  std::vector<ParamSpec> specs_;
  tensor_parallel::VocabShard shard_;  // this rank's rows of wte
  Tensor out_;                         // [B·T, C]
};

// Backward scratch that no block keeps between calls, shared by all blocks
// (one at a time runs backward), so it costs one block's worth, not L.
struct BlockScratch {
  // plan: the block's attention plan, whose channels (C, or C/tp) are the
  // width of the rank's attention and MLP interiors.
  BlockScratch(MemoryLedger& ledger, const GptShape& shape, const kernels::AttentionPlan& plan);
  Tensor wide;       // [B·T, 4·plan.channels]: d(gelu out) / d(fc out), later d qkv
  Tensor narrow;     // [B·T, C]: d ln_2 out, d attention out, d ln_1 out
  Tensor attention;  // plan.workspace_floats
  // LayerNorm always takes a shift; with bias = false it is this zero vector
  // (nanoGPT's LayerNorm(bias=False)) and its gradient goes to the sink.
  Tensor zero_bias, bias_sink;  // [C]
};

class TransformerBlock final : public Layer {
 public:
  // core: where attention runs instead of the local kernels on plan (Ulysses
  // sequence parallelism); null for local attention. checkpoint_set: null
  // for a block that keeps its own saved activations; else the set all
  // checkpointed blocks share (the block keeps its output). tp: Megatron's
  // attention and MLP pairs, each ending in one all-reduce of its partial
  // outputs forward (the c_proj bias entering on TP rank 0) and one of its
  // partial input gradients backward; plan covers the rank's heads. The
  // LayerNorms run on the replicated residual stream.
  TransformerBlock(const GptShape& shape, int index, MemoryLedger& ledger,
                   const kernels::AttentionPlan& plan, std::shared_ptr<BlockScratch> scratch,
                   std::unique_ptr<AttentionCore> core = nullptr,
                   std::shared_ptr<BlockActivations> checkpoint_set = nullptr,
                   comm::Communicator* tp = nullptr);
  std::string name() const override { return "h." + std::to_string(index_); }
  std::vector<ParamSpec> params() const override { return specs_; }
  kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                const kernels::ConstMatrixF& input) override;
  void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                const kernels::MatrixF& dresidual) override;
  bool checkpointed() const override { return checkpointed_; }
  void recompute(StepContext& ctx, const ParamViews& params) override;

 private:
  // Positions of each parameter in params() (-1: a bias the model lacks).
  struct Index {
    int ln1_w, ln1_b, attn_w, attn_b, proj_w, proj_b, ln2_w, ln2_b, fc_w, fc_b, fcproj_w, fcproj_b;
  };

  GptShape shape_;
  int index_;
  comm::Communicator* tp_;
  std::vector<ParamSpec> specs_;
  Index at_{};
  kernels::AttentionPlan plan_;
  std::shared_ptr<BlockScratch> scratch_;
  kernels::ConstMatrixF input_;  // the previous layer's output, which it keeps
  // Null: kernels::attention_* on plan_ over this rank's rows.
  std::unique_ptr<AttentionCore> core_;
  bool checkpointed_;
  // Saved for backward: the block's own set, or (its Tensors sharing
  // storage) the set all checkpointed blocks share. out_ is always the
  // block's own: the next layer's input and the checkpoint boundary.
  BlockActivations saved_;
  Tensor out_;

  // The forward up to the MLP's GELU: all the saved tensors backward reads.
  void forward_saved(StepContext& ctx, const ParamViews& params);
  // c_proj of either branch: input [N, local] · weightᵀ (+ bias) into out
  // [N, C], summed over the TP group.
  void project_rows(const kernels::ConstMatrixF& input, const ParamViews& w, int weight, int bias,
                    const kernels::MatrixF& out);
  // The column-parallel input gradient [N, C] completed over the TP group.
  void complete_input_grad(const kernels::MatrixF& dinput);
};

class FinalLayer final : public Layer {
 public:
  // real_vocab: the tokenizer's vocabulary; columns from there up to the
  // padded vocab_size take no part in the loss. tp: the tied head on the
  // rank's rows of wte gives its block of logit columns, and the
  // vocabulary-parallel cross-entropy completes the loss, so the full [N, V]
  // logits exist nowhere.
  FinalLayer(const GptShape& shape, int real_vocab, MemoryLedger& ledger, int batch, int seq,
             comm::Communicator* tp = nullptr);
  std::string name() const override { return "final"; }
  std::vector<ParamSpec> params() const override { return specs_; }
  std::vector<std::string> shared_params() const override { return {"wte.weight"}; }
  kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                const kernels::ConstMatrixF& input) override;
  void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                const kernels::MatrixF& dresidual) override;

  // Logits of the last forward ([B·T, vocab_size], or the rank's block of
  // columns under tensor parallelism); after a training forward they hold
  // d loss / d logits instead.
  kernels::ConstMatrixF logits() const;

 private:
  GptShape shape_;
  int real_vocab_;
  comm::Communicator* tp_;
  tensor_parallel::VocabShard shard_;  // the logit columns computed here
  std::unique_ptr<tensor_parallel::VocabParallelCrossEntropy> vocab_parallel_loss_;
  std::vector<ParamSpec> specs_;
  int ln_w_ = -1, ln_b_ = -1, wte_ = -1;
  kernels::ConstMatrixF input_;
  Tensor zero_bias_, bias_sink_;  // as BlockScratch's, for bias = false
  Tensor lnf_, lnf_mean_, lnf_rstd_, logits_, losses_, dlnf_;
};

}  // namespace strata::model
