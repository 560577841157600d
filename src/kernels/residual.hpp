// Residual connection: out = a + b forward, the gradient copied to both
// inputs backward, elementwise over contiguous [N, C] matrices.
#pragma once

#include "kernels/views.hpp"

namespace strata::kernels {

// out = a + b. out may be a or b itself (x += branch in place).
void residual_forward(const ConstMatrixF& a, const ConstMatrixF& b, const MatrixF& out);

// da += dout and db += dout, both ACCUMULATED. Either may be dout itself,
// which leaves that one untouched (adding dout to itself would double it,
// so an alias is skipped, not added).
//
// A GPT block does not need to call this: with one residual-gradient
// buffer that every block updates in place, the identity path's gradient
// is already in the buffer, the branch reads it as its dout, and the
// branch's first op (layernorm_backward) adds its input gradient into the
// same buffer. The op exists for models whose residual inputs live in
// separate buffers, and as the reference for that scheme in tests.
void residual_backward(const ConstMatrixF& dout, const MatrixF& da, const MatrixF& db);

}  // namespace strata::kernels
