// Token + position embedding (GPT-2's wte and wpe) forward and backward, on
// row-major activations [N = B·T rows, C columns].
#pragma once

#include <cstdint>

#include "kernels/views.hpp"

namespace strata::kernels {

// Token ids as the batch reader hands them out (io::TokenBatch).
using TokensI32 = Vector<const std::int32_t>;

// out[n, c] = wte[tokens[n], c] + wpe[position_offset + n mod T, c].
// tokens[N] in [0, wte.extent(0)); wte [V, C] (V may be the padded vocab);
// wpe [block_size, C]; out [N, C], overwritten. T is the number of positions
// per sample held here: the full sequence on one rank, or this rank's chunk
// under sequence parallelism, where position_offset is the chunk's first
// global position (every position_offset + T - 1 < wpe.extent(0)).
void embedding_forward(const TokensI32& tokens, const ConstMatrixF& wte, const ConstMatrixF& wpe,
                       std::int64_t T, std::int64_t position_offset, const MatrixF& out);

// From dout [N, C]: dwte[tokens[n], :] += dout[n, :] and
// dwpe[position_offset + n mod T, :] += dout[n, :]. Both are accumulated
// (the tied LM head adds into the same dwte; micro-batches add up).
//
// Deterministic on every backend without atomics: each work item owns a
// block of columns and walks the rows n = 0..N-1 in order, so every
// gradient element receives its contributions in row order, whatever the
// backend or its thread count. On a device a block is one column (threads
// of a warp touch neighbouring addresses); on the host it is a whole row
// chunk, so the inner loop vectorises. Parallelism is C-way, which is
// plenty for C >= 128 and avoids both atomics and a sort by token.
void embedding_backward(const TokensI32& tokens, const ConstMatrixF& dout, std::int64_t T,
                        std::int64_t position_offset, const MatrixF& dwte, const MatrixF& dwpe);

// The vocabulary-parallel forms (Megatron's tensor parallelism): wte holds
// only classes [begin, begin + wte.extent(0)) of the vocabulary. A token
// outside them contributes zeros to out and nothing to dwte. Token ids are
// global and may be any class of the whole vocabulary. The forward adds
// wpe only with_positions: one rank of the group does, and the all-reduce
// that completes the token sum completes the embedding. The backward
// accumulates dwpe on every rank, since dout is the same on all of them and
// replicated parameters must receive the same gradient everywhere.
struct VocabBlock {
  std::int64_t begin = 0;
  bool with_positions = true;
};
void embedding_forward(const TokensI32& tokens, const ConstMatrixF& wte, const ConstMatrixF& wpe,
                       std::int64_t T, std::int64_t position_offset, const MatrixF& out,
                       const VocabBlock& block);
void embedding_backward(const TokensI32& tokens, const ConstMatrixF& dout, std::int64_t T,
                        std::int64_t position_offset, const MatrixF& dwte, const MatrixF& dwpe,
                        const VocabBlock& block);

}  // namespace strata::kernels
