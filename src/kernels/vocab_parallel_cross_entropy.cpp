// Vocabulary-parallel cross-entropy: one work item per row in each phase, on
// the host through the ISA clones (the exp makes the middle phase
// compute-bound), one row per thread elsewhere.
#include "kernels/vocab_parallel_cross_entropy.hpp"

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/softmax_rows.hpp"

namespace strata::kernels {
namespace {

using TargetsI32 = Vector<const std::int32_t>;

// The column of a global class id in this rank's block, or -1.
KOKKOS_INLINE_FUNCTION std::int64_t local_column(std::int32_t target, std::int64_t vocab_begin,
                                                 std::int64_t real) {
  const std::int64_t c = static_cast<std::int64_t>(target) - vocab_begin;
  return c >= 0 && c < real ? c : -1;
}

KOKKOS_INLINE_FUNCTION float row_max(const float* x, std::int64_t real) {
  return real > 0 ? softmax_rows::row_max(x, real) : softmax_rows::kLowest;
}

// Exponentials in place (the padding zeroed) and their sum; the target's
// shifted logit is read first, before its column is overwritten.
KOKKOS_INLINE_FUNCTION double row_exp(float* x, std::int64_t real, std::int64_t width, float max,
                                      std::int64_t target, float* target_logit) {
  *target_logit = target >= 0 ? x[target] - max : 0.0f;
  const double sum = softmax_rows::sum_exp<true>(x, max, real, x);
  for (std::int64_t c = real; c < width; ++c) x[c] = 0.0f;
  return sum;
}

KOKKOS_INLINE_FUNCTION float row_finish(float* e, std::int64_t real, float sum, float target_logit,
                                        std::int64_t target, float dloss) {
  const float scale = dloss / sum;
  for (std::int64_t c = 0; c < real; ++c) e[c] *= scale;
  if (target >= 0) e[target] -= dloss;
  return static_cast<float>(kmath::log(static_cast<double>(sum))) - target_logit;
}

STRATA_X86_CLONES float row_max_host(const float* x, std::int64_t real) { return row_max(x, real); }
STRATA_X86_CLONES double row_exp_host(float* x, std::int64_t real, std::int64_t width, float max,
                                      std::int64_t target, float* target_logit) {
  return row_exp(x, real, width, max, target, target_logit);
}
STRATA_X86_CLONES float row_finish_host(float* e, std::int64_t real, float sum, float target_logit,
                                        std::int64_t target, float dloss) {
  return row_finish(e, real, sum, target_logit, target, dloss);
}

// Every row once, Σ of the rows' results in double (softmax_rows.hpp).
using softmax_rows::sum_rows;

// Preconditions only: compiled out of Release builds, hence the casts.
void check_rows(const ConstMatrixF& logits, std::int64_t real, std::int64_t rows) {
  (void)logits, (void)real, (void)rows;
  STRATA_EXPECTS(real >= 0 && real <= static_cast<std::int64_t>(logits.extent(1)));
  STRATA_EXPECTS(static_cast<std::int64_t>(logits.extent(0)) == rows);
}

}  // namespace

void vp_cross_entropy_row_max(const ConstMatrixF& logits, std::int64_t real,
                              const VectorF& row_max_out) {
  const std::int64_t N = logits.extent(0), ld = logits.stride(0);
  check_rows(logits, real, static_cast<std::int64_t>(row_max_out.extent(0)));
  const float* x = logits.data();
  float* m = row_max_out.data();
  sum_rows(
      "strata::vp_cross_entropy_row_max", N,
      [=](std::int64_t n) {
        m[n] = row_max_host(x + n * ld, real);
        return 0.0;
      },
      KOKKOS_LAMBDA(std::int64_t n, double&) { m[n] = row_max(x + n * ld, real); });
}

void vp_cross_entropy_exp(const MatrixF& logits, std::int64_t real, const ConstVectorF& row_max_in,
                          const TargetsI32& targets, std::int64_t vocab_begin,
                          const VectorF& sum_exp, const VectorF& target_logit) {
  const std::int64_t N = logits.extent(0), width = logits.extent(1), ld = logits.stride(0);
  check_rows(logits, real, static_cast<std::int64_t>(targets.extent(0)));
  float* x = logits.data();
  const float* m = row_max_in.data();
  const std::int32_t* t = targets.data();
  float* sums = sum_exp.data();
  float* tl = target_logit.data();
  sum_rows(
      "strata::vp_cross_entropy_exp", N,
      [=](std::int64_t n) {
        sums[n] = static_cast<float>(row_exp_host(x + n * ld, real, width, m[n],
                                                  local_column(t[n], vocab_begin, real), tl + n));
        return 0.0;
      },
      KOKKOS_LAMBDA(std::int64_t n, double&) {
        sums[n] = static_cast<float>(
            row_exp(x + n * ld, real, width, m[n], local_column(t[n], vocab_begin, real), tl + n));
      });
}

double vp_cross_entropy_finish(const MatrixF& exps, std::int64_t real, const ConstVectorF& sum_exp,
                               const ConstVectorF& target_logit, const TargetsI32& targets,
                               std::int64_t vocab_begin, float dloss, const VectorF& losses) {
  const std::int64_t N = exps.extent(0), ld = exps.stride(0);
  check_rows(exps, real, static_cast<std::int64_t>(losses.extent(0)));
  if (N == 0) return 0.0;
  float* e = exps.data();
  const float* sums = sum_exp.data();
  const float* tl = target_logit.data();
  const std::int32_t* t = targets.data();
  float* loss = losses.data();
  const double total = sum_rows(
      "strata::vp_cross_entropy_finish", N,
      [=](std::int64_t n) {
        return loss[n] = row_finish_host(e + n * ld, real, sums[n], tl[n],
                                         local_column(t[n], vocab_begin, real), dloss);
      },
      KOKKOS_LAMBDA(std::int64_t n, double& sum) {
        sum += loss[n] = row_finish(e + n * ld, real, sums[n], tl[n],
                                    local_column(t[n], vocab_begin, real), dloss);
      });
  return total / static_cast<double>(N);
}

}  // namespace strata::kernels
