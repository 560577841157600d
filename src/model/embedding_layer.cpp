// EmbeddingLayer: wte[token] + wpe[position] into the residual stream, and
// the gradient scattered back into both tables.
#include "kernels/embedding.hpp"
#include "model/gpt_layers.hpp"
#include "tensor_parallel/regions.hpp"

namespace strata::model {

EmbeddingLayer::EmbeddingLayer(const GptShape& shape, MemoryLedger& ledger, int batch, int seq,
                               comm::Communicator* tp)
    : shape_(shape),
      tp_(tp && tp->size() > 1 ? tp : nullptr),
      specs_(tp_ ? split_for_tensor_parallel(gpt_embedding_params(shape), tp_->rank(), tp_->size())
                 : gpt_embedding_params(shape)),
      shard_(tensor_parallel::vocab_shard(shape.vocab_size, shape.vocab_size, tp_ ? tp_->rank() : 0,
                                          tp_ ? tp_->size() : 1)),
      out_(ledger, "embedding.out", DType::fp32,
           {static_cast<std::int64_t>(batch) * seq, shape.n_embd}, MemoryCategory::activation) {}

kernels::ConstMatrixF EmbeddingLayer::forward(StepContext& ctx, const ParamViews& params,
                                              const kernels::ConstMatrixF& /*input*/) {
  const std::int64_t C = shape_.n_embd;
  const auto out = as_matrix(out_, ctx.rows(), C);
  const auto wte = as_matrix(params[0], shard_.size, C);
  const auto wpe = as_matrix(params[1], shape_.block_size, C);
  if (!tp_) {
    kernels::embedding_forward(ctx.tokens, wte, wpe, ctx.seq, ctx.position_offset, out);
    return out;
  }
  kernels::embedding_forward(ctx.tokens, wte, wpe, ctx.seq, ctx.position_offset, out,
                             kernels::VocabBlock{shard_.begin, tp_->rank() == 0});
  tensor_parallel::reduce_from_region_forward(*tp_, out);
  return out;
}

void EmbeddingLayer::backward(StepContext& ctx, const ParamViews& /*params*/,
                              const ParamViews& grads, const kernels::MatrixF& dresidual) {
  const std::int64_t C = shape_.n_embd;
  const auto dwte = as_grad_matrix(grads[0], shard_.size, C);
  const auto dwpe = as_grad_matrix(grads[1], shape_.block_size, C);
  if (!tp_)
    kernels::embedding_backward(ctx.tokens, dresidual, ctx.seq, ctx.position_offset, dwte, dwpe);
  else
    kernels::embedding_backward(ctx.tokens, dresidual, ctx.seq, ctx.position_offset, dwte, dwpe,
                                kernels::VocabBlock{shard_.begin, tp_->rank() == 0});
}

}  // namespace strata::model
