// FinalLayer: ln_f, the LM head tied to wte (logits = ln_f(x) · wteᵀ), and
// the fused softmax cross-entropy over the tokenizer's real vocabulary.
#include "kernels/cross_entropy.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/matmul.hpp"
#include "model/gpt_layers.hpp"
#include "tensor_parallel/regions.hpp"

namespace strata::model {
namespace {
Tensor activation(MemoryLedger& ledger, const std::string& name, Shape shape) {
  return Tensor(ledger, name, DType::fp32, std::move(shape), MemoryCategory::activation);
}
}  // namespace

FinalLayer::FinalLayer(const GptShape& shape, int real_vocab, MemoryLedger& ledger, int batch,
                       int seq, comm::Communicator* tp)
    : shape_(shape),
      real_vocab_(real_vocab),
      tp_(tp && tp->size() > 1 ? tp : nullptr),
      shard_(tensor_parallel::vocab_shard(shape.vocab_size, real_vocab, tp_ ? tp_->rank() : 0,
                                          tp_ ? tp_->size() : 1)),
      specs_(gpt_final_norm_params(shape)) {
  const std::int64_t N = static_cast<std::int64_t>(batch) * seq, C = shape.n_embd;
  if (tp_)
    vocab_parallel_loss_ =
        std::make_unique<tensor_parallel::VocabParallelCrossEntropy>(*tp_, ledger, N);
  ln_w_ = find_param(specs_, "ln_f.weight");
  ln_b_ = find_param(specs_, "ln_f.bias");
  wte_ = static_cast<int>(specs_.size());  // shared params follow the own ones
  lnf_ = activation(ledger, "final.ln_f", {N, C});
  lnf_mean_ = activation(ledger, "final.ln_f_mean", {N});
  lnf_rstd_ = activation(ledger, "final.ln_f_rstd", {N});
  logits_ = activation(ledger, "final.logits", {N, shard_.size});
  losses_ = activation(ledger, "final.losses", {N});
  dlnf_ = Tensor(ledger, "final.dln_f", DType::fp32, {N, C}, MemoryCategory::workspace);
  if (ln_b_ < 0) {
    zero_bias_ = Tensor(ledger, "final.zero_bias", DType::fp32, {C}, MemoryCategory::workspace);
    bias_sink_ = Tensor(ledger, "final.bias_sink", DType::fp32, {C}, MemoryCategory::workspace);
  }
}

kernels::ConstMatrixF FinalLayer::forward(StepContext& ctx, const ParamViews& params,
                                          const kernels::ConstMatrixF& input) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd, V = shard_.size;
  input_ = input;
  const auto lnf = as_matrix(lnf_, N, C);
  kernels::layernorm_forward(input, optional_view(params, ln_w_),
                             ln_b_ < 0 ? as_vector(zero_bias_) : optional_view(params, ln_b_), lnf,
                             as_vector(lnf_mean_), as_vector(lnf_rstd_));
  const auto logits = as_matrix(logits_, N, V);
  kernels::matmul_forward(lnf, as_matrix(params[wte_], V, C), kernels::ConstVectorF(), logits);
  const kernels::Vector<const std::int32_t> targets = ctx.targets;
  if (vocab_parallel_loss_) {
    ctx.loss = vocab_parallel_loss_->forward_backward(
        logits, targets, shard_, ctx.training ? ctx.dloss : 0.0f, as_vector(losses_));
    return kernels::ConstMatrixF();
  }
  // Training folds the backward of the loss into the same visit of each row
  // (the logits become d loss / d logits), so the N×V matrix is read once.
  ctx.loss = ctx.training
                 ? kernels::cross_entropy_forward_backward(logits, targets, real_vocab_, ctx.dloss,
                                                           as_vector(losses_))
                 : kernels::cross_entropy_forward(logits, targets, real_vocab_, as_vector(losses_));
  return kernels::ConstMatrixF();
}

void FinalLayer::backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                          const kernels::MatrixF& dresidual) {
  const std::int64_t N = ctx.rows(), C = shape_.n_embd, V = shard_.size;
  const auto dlnf = as_matrix(dlnf_, N, C);
  kernels::matmul_backward(as_matrix(logits_, N, V), as_matrix(lnf_, N, C),
                           as_matrix(params[wte_], V, C), dlnf, as_grad_matrix(grads[wte_], V, C),
                           kernels::VectorF());
  // The rank's vocabulary columns give a partial d ln_f; every rank needs
  // the whole (f's conjugate).
  if (tp_) tensor_parallel::copy_to_region_backward(*tp_, dlnf);
  // Nothing else flows into the residual gradient above the last block.
  Kokkos::deep_copy(dresidual, 0.0f);
  kernels::layernorm_backward(dlnf, input_, optional_view(params, ln_w_), as_vector(lnf_mean_),
                              as_vector(lnf_rstd_), dresidual, optional_view(grads, ln_w_),
                              ln_b_ < 0 ? as_vector(bias_sink_) : optional_view(grads, ln_b_));
}

kernels::ConstMatrixF FinalLayer::logits() const {
  return kernels::ConstMatrixF(logits_.data<float>(), logits_.shape()[0], logits_.shape()[1]);
}

}  // namespace strata::model
