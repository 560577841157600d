// The team forms of the row and column reductions that a device runs
// instead of the host loops: a team per column for the bias and LayerNorm
// parameter gradients, a team per row for the softmax cross-entropy. The
// ops pick them on their own where the execution space is not the host's;
// they are declared here so that the host backend can run them too, which
// is how tests/kernels/team_reductions_test.cpp checks them against the
// host loops on every CI run.
#pragma once

#include <cstdint>

#include "kernels/views.hpp"

namespace strata::kernels::team_reductions {

// dbias(j) += Σ_i dout(i, j).
void add_column_sums(const ConstMatrixF& dout, const VectorF& dbias);

// dweight(c) += Σ_n dout(n, c)·(inp(n, c) − mean(n))·rstd(n); dbias(c) += Σ_n dout(n, c).
void add_layernorm_param_grads(const ConstMatrixF& dout, const ConstMatrixF& inp,
                               const ConstVectorF& mean, const ConstVectorF& rstd,
                               const VectorF& dweight, const VectorF& dbias);

// Σ_n loss_n over the rows of logits (the first `vocab` columns scored),
// loss_n also written to losses when it has N entries. With dlogits
// present (it may be logits itself): dlogits = dloss·(softmax − onehot),
// zero in the padding columns.
double cross_entropy_rows(const ConstMatrixF& logits, const Vector<const std::int32_t>& targets,
                          std::int64_t vocab, float dloss, const MatrixF& dlogits,
                          const VectorF& losses);

}  // namespace strata::kernels::team_reductions
