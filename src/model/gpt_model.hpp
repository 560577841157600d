// GptModel: the GPT-2 model as an ordered list of layers (embedding, the
// blocks, final), built from a GptShape for one micro-batch shape (B, T).
// It holds no parameters: the engine owns and hands them in.
#pragma once

#include <memory>
#include <vector>

#include "core/memory_ledger.hpp"
#include "model/gpt_layers.hpp"
#include "model/layer.hpp"

namespace strata::model {

// How the layers run beyond the shape: where the blocks' attention goes, how
// many blocks (h.0 onwards) recompute their activations in backward, and
// the tensor-parallel group.
struct ModelOptions {
  AttentionCoreFactory cores;  // unset: local attention kernels
  int checkpointed_blocks = 0;
  // Null or one rank: no tensor parallelism. Else every layer holds its
  // Megatron piece of the parameters (split_for_tensor_parallel) and the
  // cores, if any, run on the rank's n_head / tp heads.
  comm::Communicator* tp = nullptr;
};

class GptModel {
 public:
  // real_vocab: the tokenizer's vocabulary size (<= shape.vocab_size).
  // checkpointed_blocks: how many blocks, from h.0, are activation-
  // checkpointed (0 .. n_layer); they share one set of saved activations.
  // Throws an input Error for shapes the kernels cannot run (n_head not
  // dividing n_embd, seq > block_size, real_vocab > vocab_size) or that
  // tensor parallelism cannot split (tp not dividing n_head or vocab_size).
  // seq: the positions per sample this rank runs (its chunk under sequence
  // parallelism).
  GptModel(const GptShape& shape, int real_vocab, MemoryLedger& ledger, int batch, int seq,
           const ModelOptions& options = {});

  const GptShape& shape() const { return shape_; }
  int real_vocab() const { return real_vocab_; }
  int batch() const { return batch_; }
  int seq() const { return seq_; }
  int checkpointed_blocks() const { return checkpointed_blocks_; }

  // Forward order: embedding, h.0 .. h.{L-1}, final.
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  // Every parameter, in forward order (= gpt_params(shape)).
  std::vector<ParamSpec> params() const;

 private:
  GptShape shape_;
  int real_vocab_;
  int batch_;
  int seq_;
  int checkpointed_blocks_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace strata::model
