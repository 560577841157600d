// GptEngine: layer-by-layer forward, reverse backward, norm and AdamW, each
// layer's buffers acquired from the ZeroStore for exactly its call.
#include "engine/gpt_engine.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "sequence/sequence_chunk.hpp"
#include "sequence/ulysses_attention.hpp"

namespace strata::engine {

GptEngine::GptEngine(const model::GptShape& shape, int real_vocab, int batch, int seq,
                     const zero::ZeroOptions& zero, comm::Communicator& dp, MemoryLedger& ledger,
                     const EngineOptions& options)
    : sp_(options.sp && options.sp->size() > 1 ? options.sp : nullptr),
      tp_(options.tp && options.tp->size() > 1 ? options.tp : nullptr),
      seq_(seq) {
  model::ModelOptions model_options;
  model_options.tp = tp_;
  if (sp_) {
    // Ulysses exchanges the heads of the rank's TP block: n_head / tp split
    // again over sp.
    const int tp = tp_size();
    if (tp > 1 && shape.n_head % (tp * sp_size()) != 0)
      throw_input_error("[parallel] tp x sp",
                        "= " + std::to_string(tp) + " x " + std::to_string(sp_size()) +
                            " does not divide [model] n_head = " + std::to_string(shape.n_head) +
                            "; tensor and sequence parallelism split the heads between them",
                        "choose tp and sp whose product divides " + std::to_string(shape.n_head));
    model::GptShape heads_here = shape;
    heads_here.n_embd = shape.n_embd / tp;
    heads_here.n_head = shape.n_head / tp;
    model_options.cores = sequence::ulysses_attention_cores(*sp_, heads_here, batch, seq, ledger,
                                                            options.checkpointed_blocks);
  }
  model_options.checkpointed_blocks = options.checkpointed_blocks;
  const int local_seq = seq / sp_size();
  model_ =
      std::make_unique<model::GptModel>(shape, real_vocab, ledger, batch, local_seq, model_options);
  store_ = std::make_unique<zero::ZeroStore>(model_->layers(), zero, dp, ledger);
  ctx_.batch = batch;
  ctx_.seq = local_seq;
  ctx_.position_offset = sp_ ? sp_->rank() * local_seq : 0;
  const auto rows = static_cast<std::size_t>(ctx_.rows());
  ctx_.tokens = Kokkos::View<std::int32_t*, kernels::MemSpace>("strata::tokens", rows);
  ctx_.targets = Kokkos::View<std::int32_t*, kernels::MemSpace>("strata::targets", rows);
  dresidual_ = Tensor(ledger, "dresidual", DType::fp32, {ctx_.rows(), shape.n_embd},
                      MemoryCategory::workspace);
}

void GptEngine::load_batch(const io::TokenBatch& full) {
  // Under sequence parallelism every rank of the group is handed the same
  // samples and keeps its chunk of positions.
  const io::TokenBatch chunk =
      sp_ ? sequence::sequence_chunk(full, sp_->rank(), sp_->size()) : io::TokenBatch();
  const io::TokenBatch& batch = sp_ ? chunk : full;
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

double GptEngine::run_forward(bool training, float dloss) {
  ctx_.training = training;
  ctx_.dloss = dloss;
  kernels::ConstMatrixF x;
  const auto& layers = model_->layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto params = store_->acquire_params(i, false);
    x = layers[i]->forward(ctx_, params, x);
    store_->release_params(i);
  }
  return ctx_.loss;
}

double GptEngine::forward(const io::TokenBatch& batch, float dloss, bool last) {
  last_micro_batch_ = last;
  load_batch(batch);
  store_->begin_micro_batch(last);
  return run_forward(true, dloss);
}

void GptEngine::backward() {
  const auto dres = model::as_matrix(dresidual_, ctx_.rows(), model_->shape().n_embd);
  const auto& layers = model_->layers();
  for (std::size_t i = layers.size(); i-- > 0;) {
    const auto params = store_->acquire_params(i, true);
    // The backward's own parameters serve the recompute: under ZeRO-3 they
    // are gathered (or prefetched) for this layer anyway, so it costs no
    // communication.
    if (layers[i]->checkpointed()) layers[i]->recompute(ctx_, params);
    const auto grads = store_->acquire_grads(i);
    layers[i]->backward(ctx_, params, grads, dres);
    store_->release_grads(i);
    store_->release_params(i);
  }
}

void GptEngine::reduce_gradients() {
  store_->finish_backward();
  if (tp_ && last_micro_batch_) store_->average_whole_grads(*tp_);
  store_->end_pass();
}

double GptEngine::forward_backward(const io::TokenBatch& batch, float dloss, bool last) {
  const double mean_loss = forward(batch, dloss, last);
  backward();
  reduce_gradients();
  return mean_loss;
}

double GptEngine::loss(const io::TokenBatch& batch) {
  load_batch(batch);
  store_->begin_micro_batch(true);
  const double mean = run_forward(false, 0.0f);
  store_->end_pass();
  return mean;
}

double GptEngine::grad_norm() {
  if (!tp_) return std::sqrt(store_->grad_sum_of_squares());
  const auto squares = store_->grad_squares_by_split();
  return std::sqrt(tp_->all_reduce_sum(squares.split) + squares.whole);
}

bool GptEngine::has_overflow() {
  const bool here = store_->has_overflow();
  if (!tp_) return here;
  return tp_->all_reduce_max(here ? 1.0 : 0.0) > 0;
}

void GptEngine::adamw_step(std::int64_t step_count, const kernels::AdamWHyper& hyper,
                           float grad_scale) {
  store_->step(step_count, hyper, grad_scale);
}

}  // namespace strata::engine
