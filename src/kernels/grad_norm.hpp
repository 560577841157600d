// Global gradient L2 norm over flat fp32 buffers, and gradient clipping
// with DeepSpeed's / PyTorch's coefficient.
#pragma once

#include <vector>

#include "kernels/views.hpp"

namespace strata::kernels {

// Σ g² over one buffer, squares summed in double. The building block for
// partitioned gradients: each rank sums its own shard, the sums are
// all-reduced, and the norm is the square root of the total.
double grad_sum_of_squares(const ConstVectorF& grads);

// sqrt(Σ_buffers Σ_i g²) over every buffer, in double. Not finite when any
// gradient is not: the caller (loss scaler, skipped step) decides.
double global_grad_norm(const std::vector<ConstVectorF>& buffers);

// DeepSpeed's clip: max_norm / (norm + 1e-6) when that is below 1, else
// exactly 1 (PyTorch's clip_grad_norm_ clamps to 1 and gives the same
// scale). max_norm <= 0 means clipping is off: 1. Computed in double,
// rounded to fp32 once, as adamw_update's grad_scale expects.
float clip_coefficient(double norm, double max_norm);

// grads *= scale, for callers that do not fuse the scale into adamw_update.
void scale_gradients(const VectorF& grads, float scale);

}  // namespace strata::kernels
