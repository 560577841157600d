// The GPT-2 parameter catalogue: every parameter of the model, in forward
// order, with GPT-2's initialisation. Names and shapes follow PyTorch's
// GPT-2 (nn.Linear weights are [out, in]) so checkpoints map one to one.
#pragma once

#include <cstdint>
#include <vector>

#include "model/param_spec.hpp"

namespace strata::model {

struct GptShape {
  int n_layer = 12;
  int n_head = 12;
  int n_embd = 768;
  int block_size = 1024;
  int vocab_size = 50304;  // possibly padded beyond the tokenizer's vocabulary
  bool bias = true;
};

// Embeddings (wte, wpe): the LM head is tied to wte, so it has no entry.
std::vector<ParamSpec> gpt_embedding_params(const GptShape& shape);
// One transformer block, names prefixed "h.<layer>.".
std::vector<ParamSpec> gpt_block_params(const GptShape& shape, int layer);
// Final LayerNorm (ln_f).
std::vector<ParamSpec> gpt_final_norm_params(const GptShape& shape);
// The whole model, in forward order.
std::vector<ParamSpec> gpt_params(const GptShape& shape);

// Megatron's tensor-parallel placement of rank `rank` of `ranks`: the
// vocabulary's rows of wte, the column-parallel c_attn (whole heads' rows of
// Q, K and V) and mlp.c_fc with their biases, the row-parallel c_proj
// weights. Everything else (LayerNorms, wpe, the c_proj biases) stays whole
// on every rank. Specs already split, or any for ranks = 1, are unchanged.
std::vector<ParamSpec> split_for_tensor_parallel(std::vector<ParamSpec> specs, int rank, int ranks);

// FLOPs of one training step per token (forward + backward = 3x forward),
// counting matrix multiplies and attention scores as 2 FLOPs per
// multiply-add, as PaLM's appendix B: 6N + 12·L·C·T, where N excludes the
// position embedding. Used for achieved TFLOP/s and MFU.
double gpt_train_flops_per_token(const GptShape& shape, int sequence_length);

}  // namespace strata::model
