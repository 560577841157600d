// Vocabulary-parallel softmax cross-entropy: the kernels between the two
// tensor-parallel reductions of Megatron's scheme, so that the full logits
// never exist on one rank. Each rank holds the logits of one contiguous
// block of the vocabulary, columns [vocab_begin, vocab_begin + Vl) of the
// full [N, V] matrix, of which the first `real` are real classes (the rest
// are the padded vocabulary's columns, or none). tensor_parallel/ runs them:
//
//   vp_cross_entropy_row_max   local row maxima     -> all-reduce max
//   vp_cross_entropy_exp       exp, local sums and
//                              the target's logit   -> all-reduce sum
//   vp_cross_entropy_finish    losses, d logits
//
// On one rank (vocab_begin 0, Vl = V) the three equal cross_entropy.hpp's
// fused forward-backward up to the order of the exp sums.
#pragma once

#include <cstdint>

#include "kernels/views.hpp"

namespace strata::kernels {

// row_max[n] = max of logits[n, :real]; the lowest float where real == 0.
void vp_cross_entropy_row_max(const ConstMatrixF& logits, std::int64_t real,
                              const VectorF& row_max);

// With row_max the GLOBAL row maxima: logits[n, c] becomes exp(logits[n, c]
// - row_max[n]) for c < real and 0 for the padding; sum_exp[n] = Σ_c of
// them; target_logit[n] = logits[n, targets[n] - vocab_begin] - row_max[n]
// if this rank holds that column, else 0. targets are global class ids.
void vp_cross_entropy_exp(const MatrixF& logits, std::int64_t real, const ConstVectorF& row_max,
                          const Vector<const std::int32_t>& targets, std::int64_t vocab_begin,
                          const VectorF& sum_exp, const VectorF& target_logit);

// With the GLOBAL sums: losses[n] = log sum_exp[n] - target_logit[n] (the
// same on every rank), and the exponentials become d loss / d logits =
// (exp / sum_exp - [c is the target])·dloss. Returns the mean loss.
double vp_cross_entropy_finish(const MatrixF& exps, std::int64_t real, const ConstVectorF& sum_exp,
                               const ConstVectorF& target_logit,
                               const Vector<const std::int32_t>& targets, std::int64_t vocab_begin,
                               float dloss, const VectorF& losses);

}  // namespace strata::kernels
