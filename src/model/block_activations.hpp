// BlockActivations: what a transformer block's forward saves for its
// backward, apart from its output. A block owns one set, unless it is
// checkpointed: then all checkpointed blocks of the model share one set,
// which each refills by recomputing its forward just before its backward.
#pragma once

#include <cstdint>
#include <string>

#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/attention.hpp"
#include "model/gpt_params.hpp"

namespace strata::model {

struct BlockActivations {
  // Tensors named prefix + "ln_1.out" etc., ledger category activation.
  // local_attention: the block runs plan's kernels itself and saves their
  // floats here; false when an AttentionCore keeps its own (Ulysses).
  BlockActivations(MemoryLedger& ledger, const std::string& prefix, const GptShape& shape,
                   const kernels::AttentionPlan& plan, bool local_attention = true);

  Tensor ln1, ln1_mean, ln1_rstd;  // [N, C], [N], [N]
  // Widths in the interiors are the plan's channels: C, or C/tp under
  // tensor parallelism (the rank's heads and MLP columns).
  Tensor qkv;                      // [N, 3C]
  Tensor atty;                     // [N, C] attention output before c_proj
  Tensor att_saved;                // plan.saved_floats (1 without local attention)
  Tensor res2;                     // [N, C] input + attention branch
  Tensor ln2, ln2_mean, ln2_rstd;  // [N, C], [N], [N]
  Tensor fc, gelu;                 // [N, 4C] each
};

}  // namespace strata::model
