// The three GPT-2 layer kinds: token+position embedding, the pre-LN
// transformer block, and the final LayerNorm with the tied LM head and the
// fused cross-entropy. Each owns its saved activations (ledger: activation),
// but for checkpointed blocks, which share all of theirs except the output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/attention.hpp"
#include "model/attention_core.hpp"
#include "model/block_activations.hpp"
#include "model/gpt_params.hpp"
#include "model/layer.hpp"

namespace strata::model {

class EmbeddingLayer final : public Layer {
 public:
  EmbeddingLayer(const GptShape& shape, MemoryLedger& ledger, int batch, int seq);
  std::string name() const override { return "embedding"; }
  std::vector<ParamSpec> params() const override { return specs_; }
  kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                const kernels::ConstMatrixF& input) override;
  void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                const kernels::MatrixF& dresidual) override;

 private:
  GptShape shape_;
  std::vector<ParamSpec> specs_;
  Tensor out_;  // [B·T, C]
};

// Backward scratch that no block keeps between calls, shared by all blocks
// (one at a time runs backward), so it costs one block's worth, not L.
struct BlockScratch {
  BlockScratch(MemoryLedger& ledger, const GptShape& shape, const kernels::AttentionPlan& plan);
  Tensor wide;       // [B·T, 4C]: d(gelu out) / d(fc out), later d qkv
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
  // checkpointed blocks share (the block keeps its output).
  TransformerBlock(const GptShape& shape, int index, MemoryLedger& ledger,
                   const kernels::AttentionPlan& plan, std::shared_ptr<BlockScratch> scratch,
                   std::unique_ptr<AttentionCore> core = nullptr,
                   std::shared_ptr<BlockActivations> checkpoint_set = nullptr);
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
};

class FinalLayer final : public Layer {
 public:
  // real_vocab: the tokenizer's vocabulary; columns from there up to the
  // padded vocab_size take no part in the loss.
  FinalLayer(const GptShape& shape, int real_vocab, MemoryLedger& ledger, int batch, int seq);
  std::string name() const override { return "final"; }
  std::vector<ParamSpec> params() const override { return specs_; }
  std::vector<std::string> shared_params() const override { return {"wte.weight"}; }
  kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                const kernels::ConstMatrixF& input) override;
  void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                const kernels::MatrixF& dresidual) override;

  // Logits of the last forward ([B·T, vocab_size]); after a training
  // forward they hold d loss / d logits instead.
  kernels::ConstMatrixF logits() const;

 private:
  GptShape shape_;
  int real_vocab_;
  std::vector<ParamSpec> specs_;
  int ln_w_ = -1, ln_b_ = -1, wte_ = -1;
  kernels::ConstMatrixF input_;
  Tensor zero_bias_, bias_sink_;  // as BlockScratch's, for bias = false
  Tensor lnf_, lnf_mean_, lnf_rstd_, logits_, losses_, dlnf_;
};

}  // namespace strata::model
