// AdamW update (torch.optim.AdamW / DeepSpeed semantics, decoupled weight
// decay) over a flat fp32 parameter buffer with fp32 moments.
#pragma once

#include <cstdint>

#include "kernels/views.hpp"

namespace strata::kernels {

// Hyperparameters in double, as PyTorch holds them (Python floats): the
// per-step scalars are derived in double and rounded to fp32 once.
struct AdamWHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  // Per call, so the caller passes 0 for biases and LayerNorm parameters
  // (the usual GPT-2 grouping) and the deck's value for the matrices.
  double weight_decay = 0.0;
};

// One step t >= 1 (the count including this one) for every element i:
//   g  = grads[i] · grad_scale          (the clip coefficient, fused here so
//                                        clipping costs no pass of its own)
//   p  = p · (1 - lr·wd)                (decoupled weight decay, first)
//   m  = m + (1 - β1)·(g - m)           (= β1·m + (1-β1)·g; torch's lerp)
//   v  = v·β2 + ((1 - β2)·g)·g
//   p  = p + (-lr/(1 - β1^t))·m / (sqrt(v)/sqrt(1 - β2^t) + eps)
// in torch's operation order (single-tensor CPU path). Torch's vectorised
// CPU kernels may contract some of these into FMAs, which this portable
// build cannot, so agreement is to an ulp or so per step, not bitwise.
// params, m, v are updated in place; all four views have one length.
void adamw_update(const VectorF& params, const ConstVectorF& grads, const VectorF& m,
                  const VectorF& v, const AdamWHyper& hyper, std::int64_t step,
                  float grad_scale = 1.0f);

}  // namespace strata::kernels
