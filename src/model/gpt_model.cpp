// GptModel: checks the shape once, plans attention once, builds the layers.
#include "model/gpt_model.hpp"

#include <string>

#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "tensor_parallel/vocab_shard.hpp"

namespace strata::model {

GptModel::GptModel(const GptShape& shape, int real_vocab, MemoryLedger& ledger, int batch, int seq,
                   const ModelOptions& options)
    : shape_(shape),
      real_vocab_(real_vocab),
      batch_(batch),
      seq_(seq),
      checkpointed_blocks_(options.checkpointed_blocks) {
  if (seq > shape.block_size)
    throw_input_error("[model] block_size",
                      "is " + std::to_string(shape.block_size) +
                          " but the model runs sequences of " + std::to_string(seq) + " positions",
                      "raise [model] block_size to at least the sequence length");
  if (real_vocab <= 0 || real_vocab > shape.vocab_size)
    throw_input_error("[model] vocab_size",
                      "is " + std::to_string(shape.vocab_size) + " but the tokenizer has " +
                          std::to_string(real_vocab) + " tokens",
                      "set [model] vocab_size to at least " + std::to_string(real_vocab) +
                          " (a padded size such as a multiple of 64 is fine)");
  const int checkpointed_blocks = options.checkpointed_blocks;
  if (checkpointed_blocks < 0 || checkpointed_blocks > shape.n_layer)
    throw_input_error("[activation_checkpointing] num_blocks",
                      "asks for " + std::to_string(checkpointed_blocks) +
                          " checkpointed blocks but the model has " +
                          std::to_string(shape.n_layer) + " ([model] n_layer)",
                      "set [activation_checkpointing] num_blocks to at most [model] n_layer, or "
                      "0 for all blocks");
  comm::Communicator* tp = options.tp && options.tp->size() > 1 ? options.tp : nullptr;
  const int tp_size = tp ? tp->size() : 1;
  if (shape.n_head % tp_size != 0)
    throw_input_error("[parallel] tp",
                      "= " + std::to_string(tp_size) +
                          " does not divide [model] n_head = " + std::to_string(shape.n_head) +
                          "; tensor parallelism gives each rank whole attention heads",
                      "set [parallel] tp to a divisor of " + std::to_string(shape.n_head));
  if (tp) tensor_parallel::vocab_shard(shape.vocab_size, real_vocab, tp->rank(), tp_size);
  // The block's attention runs on the rank's heads: n_head / tp of them.
  const auto plan =
      kernels::plan_attention(batch, seq, shape.n_embd / tp_size, shape.n_head / tp_size);
  auto scratch = std::make_shared<BlockScratch>(ledger, shape, plan);
  // One set for all checkpointed blocks: each refills it in its recompute.
  std::shared_ptr<BlockActivations> checkpoint_set;
  if (checkpointed_blocks > 0)
    checkpoint_set = std::make_shared<BlockActivations>(ledger, "blocks.checkpointed.", shape, plan,
                                                        /*local_attention=*/!options.cores);
  layers_.push_back(std::make_unique<EmbeddingLayer>(shape, ledger, batch, seq, tp));
  for (int l = 0; l < shape.n_layer; ++l)
    layers_.push_back(std::make_unique<TransformerBlock>(
        shape, l, ledger, plan, scratch, options.cores ? options.cores(l) : nullptr,
        l < checkpointed_blocks ? checkpoint_set : nullptr, tp));
  layers_.push_back(std::make_unique<FinalLayer>(shape, real_vocab, ledger, batch, seq, tp));
}

std::vector<ParamSpec> GptModel::params() const {
  std::vector<ParamSpec> all;
  for (const auto& layer : layers_)
    for (auto& spec : layer->params()) all.push_back(std::move(spec));
  return all;
}

}  // namespace strata::model
