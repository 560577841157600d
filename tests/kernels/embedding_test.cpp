// embedding_forward/backward against a plain double reference, by finite
// differences, and for the row-order determinism the backward promises.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "kernels/embedding.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::embedding_backward;
using kernels::embedding_forward;

struct Shape {
  std::size_t B, T, C, V, block;
  std::int64_t offset;
};

// The reference: out[n, c] = wte[tok, c] + wpe[offset + n mod T, c] in double.
std::vector<double> reference_forward(const Shape& s, const std::vector<std::int32_t>& tokens,
                                      const std::vector<float>& wte,
                                      const std::vector<float>& wpe) {
  std::vector<double> out(s.B * s.T * s.C);
  for (std::size_t n = 0; n < s.B * s.T; ++n)
    for (std::size_t c = 0; c < s.C; ++c)
      out[n * s.C + c] = static_cast<double>(wte[tokens[n] * s.C + c]) +
                         static_cast<double>(wpe[(s.offset + n % s.T) * s.C + c]);
  return out;
}

class EmbeddingShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(EmbeddingShapes, ForwardEqualsReferenceExactly) {
  const Shape s = GetParam();
  const std::size_t N = s.B * s.T;
  const auto tokens = random_ints(N, 1, 0, static_cast<int>(s.V) - 1);
  const auto wte = random_floats(s.V * s.C, 2), wpe = random_floats(s.block * s.C, 3);
  MatrixF out("out", N, s.C);
  embedding_forward(device_vector(tokens), device_matrix(wte, s.V, s.C),
                    device_matrix(wpe, s.block, s.C), s.T, s.offset, out);
  // One fp32 add of two values in [-1, 1]: the sum is exact in double, so
  // rounding it once to fp32 is exactly what the fp32 add does.
  std::vector<double> want = reference_forward(s, tokens, wte, wpe);
  for (auto& v : want) v = static_cast<float>(v);
  EXPECT_TRUE(all_close(to_host(out), want, 0.0, 0.0));
}

TEST_P(EmbeddingShapes, BackwardAccumulatesInRowOrderOnEveryBackend) {
  const Shape s = GetParam();
  const std::size_t N = s.B * s.T;
  // Few distinct tokens so that rows collide on the same dwte rows.
  const auto tokens = random_ints(N, 4, 0, static_cast<int>(std::min<std::size_t>(s.V, 3)) - 1);
  const auto dout = random_floats(N * s.C, 5);
  const auto dwte0 = random_floats(s.V * s.C, 6), dwpe0 = random_floats(s.block * s.C, 7);
  MatrixF dwte = device_matrix(dwte0, s.V, s.C), dwpe = device_matrix(dwpe0, s.block, s.C);
  embedding_backward(device_vector(tokens), device_matrix(dout, N, s.C), s.T, s.offset, dwte, dwpe);

  // The promise: each element gets its contributions added in row order,
  // starting from what was there (accumulation). A plain fp32 loop in that
  // order must agree to the bit.
  std::vector<float> want_wte = dwte0, want_wpe = dwpe0;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < s.C; ++c) {
      want_wte[tokens[n] * s.C + c] += dout[n * s.C + c];
      want_wpe[(s.offset + n % s.T) * s.C + c] += dout[n * s.C + c];
    }
  EXPECT_TRUE(all_close(to_host(dwte), widen(want_wte), 0.0, 0.0));
  EXPECT_TRUE(all_close(to_host(dwpe), widen(want_wpe), 0.0, 0.0));
}

// The forward is linear, so a central difference is exact up to the fp32
// rounding of the outputs; the objective Σ w·out sums in double.
TEST_P(EmbeddingShapes, BackwardMatchesFiniteDifferences) {
  const Shape s = GetParam();
  const std::size_t N = s.B * s.T;
  const auto tokens = random_ints(N, 8, 0, static_cast<int>(s.V) - 1);
  auto wte = random_floats(s.V * s.C, 9), wpe = random_floats(s.block * s.C, 10);
  const auto w = random_floats(N * s.C, 11);
  auto objective = [&] {
    MatrixF out("out", N, s.C);
    embedding_forward(device_vector(tokens), device_matrix(wte, s.V, s.C),
                      device_matrix(wpe, s.block, s.C), s.T, s.offset, out);
    const auto y = to_host(out);
    double sum = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(w[i]) * y[i];
    return sum;
  };
  MatrixF dwte("dwte", s.V, s.C), dwpe("dwpe", s.block, s.C);
  embedding_backward(device_vector(tokens), device_matrix(w, N, s.C), s.T, s.offset, dwte, dwpe);
  const auto gwte = to_host(dwte), gwpe = to_host(dwpe);
  // Each output rounds to within 2^-24 of |out| <= 2, |w| <= 1: at most
  // N·C·2^-23 of noise in the objective, over a step of 2h = 0.2.
  const double tol = 1e-4;
  for (std::size_t i = 0; i < wte.size(); i += 3)
    EXPECT_NEAR(central_difference(wte, i, 0.1f, objective), gwte[i], tol) << "wte " << i;
  for (std::size_t i = 0; i < wpe.size(); i += 3)
    EXPECT_NEAR(central_difference(wpe, i, 0.1f, objective), gwpe[i], tol) << "wpe " << i;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, EmbeddingShapes,
    ::testing::Values(Shape{2, 4, 8, 5, 4, 0},     // the plain case, block == T
                      Shape{3, 1, 3, 7, 4, 2},     // T = 1, an offset: one position
                      Shape{2, 3, 1, 4, 8, 5},     // C = 1, offset + T = block
                      Shape{2, 5, 37, 11, 9, 1},   // C not a multiple of anything
                      Shape{1, 4, 1100, 3, 4, 0})  // C beyond the host's 1024-wide blocks
);

TEST(Embedding, SequenceParallelChunksEqualTheFullSequence) {
  // Two "ranks" each holding half of every sample's positions, with the
  // offset of their chunk, produce the rows the full sequence produces.
  const std::size_t B = 2, T = 6, C = 5, V = 9;
  const auto tokens = random_ints(B * T, 12, 0, V - 1);
  const auto wte = random_floats(V * C, 13), wpe = random_floats(T * C, 14);
  MatrixF full("full", B * T, C);
  embedding_forward(device_vector(tokens), device_matrix(wte, V, C), device_matrix(wpe, T, C), T, 0,
                    full);
  const auto want = to_host(full);
  for (std::size_t chunk = 0; chunk < 2; ++chunk) {
    std::vector<std::int32_t> local;
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = chunk * T / 2; t < (chunk + 1) * T / 2; ++t)
        local.push_back(tokens[b * T + t]);
    MatrixF out("out", B * T / 2, C);
    embedding_forward(device_vector(local), device_matrix(wte, V, C), device_matrix(wpe, T, C),
                      T / 2, static_cast<std::int64_t>(chunk * T / 2), out);
    const auto got = to_host(out);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T / 2; ++t)
        for (std::size_t c = 0; c < C; ++c)
          EXPECT_EQ(got[(b * T / 2 + t) * C + c], want[(b * T + chunk * T / 2 + t) * C + c]);
  }
}

TEST(Embedding, VocabularyBlocksSumToTheWholeEmbedding) {
  // Three "TP ranks" each hold 4 of 12 classes; rank 0 adds the positions.
  // Their outputs summed (the all-reduce) are the one-rank embedding, each
  // one's dwte is its rows of the one-rank dwte, and every one's dwpe is
  // the one-rank dwpe.
  const std::size_t B = 2, T = 5, C = 7, V = 12, parts = 3, rows = V / parts;
  const auto tokens = random_ints(B * T, 15, 0, V - 1);
  const auto wte = random_floats(V * C, 16), wpe = random_floats(T * C, 17);
  const auto dout = random_floats(B * T * C, 18);
  MatrixF full("full", B * T, C), dwte("dwte", V, C), dwpe("dwpe", T, C);
  embedding_forward(device_vector(tokens), device_matrix(wte, V, C), device_matrix(wpe, T, C), T, 0,
                    full);
  embedding_backward(device_vector(tokens), device_matrix(dout, B * T, C), T, 0, dwte, dwpe);
  const auto want = to_host(full), want_dwte = to_host(dwte), want_dwpe = to_host(dwpe);

  std::vector<float> sum(B * T * C, 0.0f);
  for (std::size_t r = 0; r < parts; ++r) {
    const std::vector<float> block(wte.begin() + r * rows * C, wte.begin() + (r + 1) * rows * C);
    const kernels::VocabBlock vocab{static_cast<std::int64_t>(r * rows), r == 0};
    MatrixF out("out", B * T, C), block_dwte("block_dwte", rows, C), block_dwpe("dwpe", T, C);
    embedding_forward(device_vector(tokens), device_matrix(block, rows, C),
                      device_matrix(wpe, T, C), T, 0, out, vocab);
    const auto part = to_host(out);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += part[i];
    embedding_backward(device_vector(tokens), device_matrix(dout, B * T, C), T, 0, block_dwte,
                       block_dwpe, vocab);
    const auto got_dwte = to_host(block_dwte);
    for (std::size_t i = 0; i < rows * C; ++i)
      EXPECT_EQ(got_dwte[i], want_dwte[r * rows * C + i]) << "rank " << r << " dwte " << i;
    EXPECT_TRUE(all_close(to_host(block_dwpe), widen(want_dwpe), 0.0, 0.0)) << "rank " << r;
  }
  // Each element is one token term plus one position term, the rest zeros:
  // the same single fp32 add as the one-rank kernel.
  EXPECT_TRUE(all_close(sum, widen(want), 0.0, 0.0));
}

#if defined(STRATA_CONTRACTS)
TEST(Embedding, OutOfRangeTokensBreakTheContract) {
  // Checked builds refuse ids outside the vocabulary before touching wte.
  MatrixF wte("wte", 4, 3), wpe("wpe", 2, 3), out("out", 2, 3);
  EXPECT_THROW(
      embedding_forward(device_vector(std::vector<std::int32_t>{1, 4}), wte, wpe, 2, 0, out),
      Error);
  EXPECT_THROW(
      embedding_backward(device_vector(std::vector<std::int32_t>{-1, 0}), out, 2, 0, wte, wpe),
      Error);
}
#endif

}  // namespace
}  // namespace strata::testing
