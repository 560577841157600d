// GptEngine: layer-by-layer forward, reverse backward, norm and AdamW.
#include "engine/gpt_engine.hpp"

#include <string>

#include "core/error.hpp"
#include "kernels/grad_norm.hpp"

namespace strata::engine {

GptEngine::GptEngine(const model::GptShape& shape, int real_vocab, int batch, int seq,
                     MemoryLedger& ledger) {
  model_ = std::make_unique<model::GptModel>(shape, real_vocab, ledger, batch, seq);
  store_ = std::make_unique<ParamStore>(model_->params(), ledger);
  for (const auto& layer : model_->layers()) {
    param_views_.push_back(store_->param_views(*layer));
    grad_views_.push_back(store_->grad_views(*layer));
  }
  ctx_.batch = batch;
  ctx_.seq = seq;
  const auto rows = static_cast<std::size_t>(ctx_.rows());
  ctx_.tokens = Kokkos::View<std::int32_t*, kernels::MemSpace>("strata::tokens", rows);
  ctx_.targets = Kokkos::View<std::int32_t*, kernels::MemSpace>("strata::targets", rows);
  dresidual_ = Tensor(ledger, "dresidual", DType::fp32, {ctx_.rows(), shape.n_embd},
                      MemoryCategory::workspace);
}

void GptEngine::load_batch(const io::TokenBatch& batch) {
  const auto rows = static_cast<std::size_t>(ctx_.rows());
  if (batch.inputs.size() != rows || batch.targets.size() != rows)
    throw STRATA_ERROR("a batch of " + std::to_string(batch.inputs.size()) +
                           " positions was given to a model built for " + std::to_string(rows),
                       "GptEngine", "read micro-batches of [train] micro_batch rows");
  using HostTokens =
      Kokkos::View<const std::int32_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  Kokkos::deep_copy(ctx_.tokens, HostTokens(batch.inputs.data(), rows));
  Kokkos::deep_copy(ctx_.targets, HostTokens(batch.targets.data(), rows));
}

double GptEngine::forward(bool training, float dloss) {
  ctx_.training = training;
  ctx_.dloss = dloss;
  kernels::ConstMatrixF x;
  const auto& layers = model_->layers();
  for (std::size_t i = 0; i < layers.size(); ++i) x = layers[i]->forward(ctx_, param_views_[i], x);
  return ctx_.loss;
}

double GptEngine::forward_backward(const io::TokenBatch& batch, float dloss) {
  load_batch(batch);
  const double mean_loss = forward(true, dloss);
  const auto dres = model::as_matrix(dresidual_, ctx_.rows(), model_->shape().n_embd);
  const auto& layers = model_->layers();
  for (std::size_t i = layers.size(); i-- > 0;)
    layers[i]->backward(ctx_, param_views_[i], grad_views_[i], dres);
  return mean_loss;
}

double GptEngine::loss(const io::TokenBatch& batch) {
  load_batch(batch);
  return forward(false, 0.0f);
}

double GptEngine::grad_norm() const {
  return kernels::global_grad_norm(
      {kernels::ConstVectorF(store_->grads().data<float>(), store_->total())});
}

void GptEngine::adamw_step(std::int64_t step_count, const kernels::AdamWHyper& hyper,
                           float grad_scale) {
  const auto& specs = store_->specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    kernels::AdamWHyper h = hyper;
    if (!specs[i].weight_decay) h.weight_decay = 0.0;
    kernels::adamw_update(store_->param(i), store_->grad(i), store_->exp_avg(i),
                          store_->exp_avg_sq(i), h, step_count, grad_scale);
  }
}

}  // namespace strata::engine
