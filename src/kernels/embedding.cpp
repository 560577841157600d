// Token + position embedding forward and deterministic backward.
#include "kernels/embedding.hpp"

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"

namespace strata::kernels {
namespace {

// Columns one work item handles. The host runs whole row chunks so the
// inner loop is a plain contiguous loop the compiler vectorises; a device
// runs one column per thread so that neighbouring threads read neighbouring
// addresses.
constexpr std::int64_t kWidth = kHostExec ? 1024 : 1;

#if defined(STRATA_CONTRACTS)
// Out-of-range ids would read or write outside wte; count them (debug only).
std::int64_t count_bad_tokens(const TokensI32& tokens, std::int64_t vocab) {
  std::int64_t bad = 0;
  Kokkos::parallel_reduce(
      "strata::embedding_check", Kokkos::RangePolicy<ExecSpace>(0, tokens.extent(0)),
      KOKKOS_LAMBDA(std::int64_t n, std::int64_t & sum) {
        sum += (tokens(n) < 0 || tokens(n) >= vocab) ? 1 : 0;
      },
      bad);
  return bad;
}
#endif

}  // namespace

void embedding_forward(const TokensI32& tokens, const ConstMatrixF& wte, const ConstMatrixF& wpe,
                       std::int64_t T, std::int64_t position_offset, const MatrixF& out) {
  embedding_forward(tokens, wte, wpe, T, position_offset, out, VocabBlock{});
}

void embedding_backward(const TokensI32& tokens, const ConstMatrixF& dout, std::int64_t T,
                        std::int64_t position_offset, const MatrixF& dwte, const MatrixF& dwpe) {
  embedding_backward(tokens, dout, T, position_offset, dwte, dwpe, VocabBlock{});
}

void embedding_forward(const TokensI32& tokens, const ConstMatrixF& wte, const ConstMatrixF& wpe,
                       std::int64_t T, std::int64_t position_offset, const MatrixF& out,
                       const VocabBlock& vocab) {
  const std::int64_t N = out.extent(0), C = out.extent(1);
  STRATA_EXPECTS(static_cast<std::int64_t>(tokens.extent(0)) == N);
  STRATA_EXPECTS(static_cast<std::int64_t>(wte.extent(1)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(wpe.extent(1)) == C);
  STRATA_EXPECTS(T > 0 && N % T == 0 && position_offset >= 0);
  STRATA_EXPECTS(position_offset + T <= static_cast<std::int64_t>(wpe.extent(0)));
  STRATA_EXPECTS(vocab.begin >= 0);
  STRATA_EXPECTS(vocab.begin > 0 || count_bad_tokens(tokens, wte.extent(0)) == 0);
  if (N == 0 || C == 0) return;

  const std::int64_t blocks = (C + kWidth - 1) / kWidth;
  const std::int64_t first = vocab.begin, rows = wte.extent(0);
  const bool with_positions = vocab.with_positions;
  const float* wte_p = wte.data();
  const float* wpe_p = wpe.data();
  float* out_p = out.data();
  const std::int64_t wte_ld = wte.stride(0), wpe_ld = wpe.stride(0), out_ld = out.stride(0);
  Kokkos::parallel_for(
      "strata::embedding_forward", Kokkos::RangePolicy<ExecSpace>(0, N * blocks),
      KOKKOS_LAMBDA(std::int64_t item) {
        const std::int64_t n = item / blocks;
        const std::int64_t c0 = (item % blocks) * kWidth;
        const std::int64_t c1 = c0 + kWidth < C ? c0 + kWidth : C;
        const std::int64_t row = tokens(n) - first;
        const bool held = row >= 0 && row < rows;
        const float* tok = wte_p + (held ? row : 0) * wte_ld;
        const float* pos = wpe_p + (position_offset + n % T) * wpe_ld;
        float* o = out_p + n * out_ld;
        if (held && with_positions)
          for (std::int64_t c = c0; c < c1; ++c) o[c] = tok[c] + pos[c];
        else if (held)
          for (std::int64_t c = c0; c < c1; ++c) o[c] = tok[c];
        else if (with_positions)
          for (std::int64_t c = c0; c < c1; ++c) o[c] = pos[c];
        else
          for (std::int64_t c = c0; c < c1; ++c) o[c] = 0.0f;
      });
}

void embedding_backward(const TokensI32& tokens, const ConstMatrixF& dout, std::int64_t T,
                        std::int64_t position_offset, const MatrixF& dwte, const MatrixF& dwpe,
                        const VocabBlock& vocab) {
  const std::int64_t N = dout.extent(0), C = dout.extent(1);
  STRATA_EXPECTS(static_cast<std::int64_t>(tokens.extent(0)) == N);
  STRATA_EXPECTS(static_cast<std::int64_t>(dwte.extent(1)) == C);
  STRATA_EXPECTS(static_cast<std::int64_t>(dwpe.extent(1)) == C);
  STRATA_EXPECTS(T > 0 && N % T == 0 && position_offset >= 0);
  STRATA_EXPECTS(position_offset + T <= static_cast<std::int64_t>(dwpe.extent(0)));
  STRATA_EXPECTS(vocab.begin >= 0);
  STRATA_EXPECTS(vocab.begin > 0 || count_bad_tokens(tokens, dwte.extent(0)) == 0);
  if (N == 0 || C == 0) return;

  const std::int64_t blocks = (C + kWidth - 1) / kWidth;
  const std::int64_t first = vocab.begin, rows = dwte.extent(0);
  const float* dout_p = dout.data();
  float* dwte_p = dwte.data();
  float* dwpe_p = dwpe.data();
  const std::int64_t dout_ld = dout.stride(0), wte_ld = dwte.stride(0), wpe_ld = dwpe.stride(0);
  Kokkos::parallel_for(
      "strata::embedding_backward", Kokkos::RangePolicy<ExecSpace>(0, blocks),
      KOKKOS_LAMBDA(std::int64_t block) {
        const std::int64_t c0 = block * kWidth;
        const std::int64_t c1 = c0 + kWidth < C ? c0 + kWidth : C;
        // Row order is the summation order of every element: the reason
        // this loop is not parallel.
        for (std::int64_t n = 0; n < N; ++n) {
          const float* d = dout_p + n * dout_ld;
          const std::int64_t row = tokens(n) - first;
          float* pos = dwpe_p + (position_offset + n % T) * wpe_ld;
          if (row >= 0 && row < rows) {
            float* tok = dwte_p + row * wte_ld;
            for (std::int64_t c = c0; c < c1; ++c) {
              tok[c] += d[c];
              pos[c] += d[c];
            }
          } else {
            for (std::int64_t c = c0; c < c1; ++c) pos[c] += d[c];
          }
        }
      });
}

}  // namespace strata::kernels
