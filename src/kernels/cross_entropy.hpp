// Softmax cross-entropy over the vocabulary, fused: per-row losses and
// their mean forward; dlogits = (softmax - onehot)·dloss backward.
#pragma once

#include <cstdint>

#include "kernels/views.hpp"

namespace strata::kernels {

// logits [N, Vp]: only the first `vocab` columns are real classes. Columns
// vocab..Vp-1 (the vocabulary padded to a GEMM-friendly size, as GPT-2's
// 50257 -> 50304) take no part: not in the max, not in the sum, and their
// gradient is exactly 0. targets [N] in [0, vocab).
//
// Numerics: the softmax subtracts the row max, so logits of any size (1e4,
// 1e30) neither overflow nor lose the loss to cancellation (the loss is
// log Σ exp(x - max) - (x[target] - max)). exp terms are summed in fp32
// over blocks of 256 columns and the blocks in double.

// losses[n] = -log softmax(logits[n, :vocab])[targets[n]]. Returns the mean
// over the N rows, summed in double.
double cross_entropy_forward(const ConstMatrixF& logits, const Vector<const std::int32_t>& targets,
                             std::int64_t vocab, const VectorF& losses);

// dlogits[n, v] = (softmax(logits[n, :vocab])[v] - [v == targets[n]])·dloss
// for v < vocab, 0 for the padding. OVERWRITTEN. dloss is the gradient of
// the objective with respect to each row's loss: 1/N for the mean loss
// (1/(N·grad_accum) when micro-batches add into one step). dlogits may be
// logits itself: in place saves an N×Vp buffer (206 MB for GPT-2 at N=1024).
void cross_entropy_backward(const ConstMatrixF& logits, const Vector<const std::int32_t>& targets,
                            std::int64_t vocab, float dloss, const MatrixF& dlogits);

// The training step's form: forward and backward in one visit per row,
// logits overwritten by dlogits. Reads each row from memory once (the other
// passes hit cache), where forward + backward read it twice and compute
// every exp twice. Returns the mean loss; losses as in the forward.
double cross_entropy_forward_backward(const MatrixF& logits,
                                      const Vector<const std::int32_t>& targets, std::int64_t vocab,
                                      float dloss, const VectorF& losses);

}  // namespace strata::kernels
