// BlockActivations: one transformer block's saved tensors, counted in the
// ledger as activations.
#include "model/block_activations.hpp"

#include <algorithm>
#include <utility>

namespace strata::model {
namespace {

Tensor activation(MemoryLedger& ledger, const std::string& name, Shape shape) {
  return Tensor(ledger, name, DType::fp32, std::move(shape), MemoryCategory::activation);
}

// A tensor has at least one element, even for a plan that saves nothing.
std::int64_t attention_saved(const kernels::AttentionPlan& plan) {
  return static_cast<std::int64_t>(std::max<std::size_t>(plan.saved_floats, 1));
}

}  // namespace

BlockActivations::BlockActivations(MemoryLedger& ledger, const std::string& prefix,
                                   const GptShape& shape, const kernels::AttentionPlan& plan,
                                   bool local_attention) {
  const std::int64_t N = static_cast<std::int64_t>(plan.batch) * plan.seq, C = shape.n_embd;
  // The attention and MLP interiors are this rank's columns: C / tp of them.
  const std::int64_t local = plan.channels;
  ln1 = activation(ledger, prefix + "ln_1.out", {N, C});
  ln1_mean = activation(ledger, prefix + "ln_1.mean", {N});
  ln1_rstd = activation(ledger, prefix + "ln_1.rstd", {N});
  qkv = activation(ledger, prefix + "attn.qkv", {N, 3 * local});
  atty = activation(ledger, prefix + "attn.out", {N, local});
  att_saved =
      activation(ledger, prefix + "attn.saved", {local_attention ? attention_saved(plan) : 1});
  res2 = activation(ledger, prefix + "residual_2", {N, C});
  ln2 = activation(ledger, prefix + "ln_2.out", {N, C});
  ln2_mean = activation(ledger, prefix + "ln_2.mean", {N});
  ln2_rstd = activation(ledger, prefix + "ln_2.rstd", {N});
  fc = activation(ledger, prefix + "mlp.fc", {N, 4 * local});
  gelu = activation(ledger, prefix + "mlp.gelu", {N, 4 * local});
}

}  // namespace strata::model
