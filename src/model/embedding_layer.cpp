// EmbeddingLayer: wte[token] + wpe[position] into the residual stream, and
// the gradient scattered back into both tables.
#include "kernels/embedding.hpp"
#include "model/gpt_layers.hpp"

namespace strata::model {

EmbeddingLayer::EmbeddingLayer(const GptShape& shape, MemoryLedger& ledger, int batch, int seq)
    : shape_(shape),
      specs_(gpt_embedding_params(shape)),
      out_(ledger, "embedding.out", DType::fp32,
           {static_cast<std::int64_t>(batch) * seq, shape.n_embd}, MemoryCategory::activation) {}

kernels::ConstMatrixF EmbeddingLayer::forward(StepContext& ctx, const ParamViews& params,
                                              const kernels::ConstMatrixF& /*input*/) {
  const std::int64_t C = shape_.n_embd;
  const auto out = as_matrix(out_, ctx.rows(), C);
  kernels::embedding_forward(ctx.tokens, as_matrix(params[0], shape_.vocab_size, C),
                             as_matrix(params[1], shape_.block_size, C), ctx.seq,
                             ctx.position_offset, out);
  return out;
}

void EmbeddingLayer::backward(StepContext& ctx, const ParamViews& /*params*/,
                              const ParamViews& grads, const kernels::MatrixF& dresidual) {
  const std::int64_t C = shape_.n_embd;
  kernels::embedding_backward(ctx.tokens, dresidual, ctx.seq, ctx.position_offset,
                              as_grad_matrix(grads[0], shape_.vocab_size, C),
                              as_grad_matrix(grads[1], shape_.block_size, C));
}

}  // namespace strata::model
