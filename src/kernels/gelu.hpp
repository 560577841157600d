// GELU with the tanh approximation (GPT-2; PyTorch approximate='tanh'),
// forward and backward, elementwise over any contiguous [N, C] matrix.
#pragma once

#include "kernels/views.hpp"

namespace strata::kernels {

// out = 0.5·x·(1 + tanh(u)), u = sqrt(2/π)·(x + 0.044715·x³), computed as
// the identical x·σ(2u) = x / (1 + exp(-2u)): one exp instead of a tanh,
// and no cancellation in 1 + tanh(u) for negative x. out may be inp itself.
void gelu_forward(const ConstMatrixF& inp, const MatrixF& out);

// dinp = dout · gelu'(inp), OVERWRITTEN (the MLP's fc output feeds only the
// GELU, so there is nothing to add to). dinp may be dout itself, which
// saves the N×4C buffer; inp must be the forward's input.
void gelu_backward(const ConstMatrixF& dout, const ConstMatrixF& inp, const MatrixF& dinp);

}  // namespace strata::kernels
