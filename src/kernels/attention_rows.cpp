// Softmax row primitives for the attention kernels. Each public function is
// compiled once per vector ISA (STRATA_VECTOR_CLONES: AVX-512, AVX2,
// baseline) and picked at load time, so one binary runs everywhere yet uses
// the widest vectors the CPU has; the helpers are force-inlined so they are
// cloned with their callers.
#include "kernels/attention_rows.hpp"

#include <limits>

#include "kernels/fast_math.hpp"

namespace strata::kernels::attention_rows {
namespace {

// Independent partial results per lane: the compiler keeps them in one or
// two vector registers without reassociating float additions (no fast-math),
// and the summation order is the same on every ISA.
constexpr int kLanes = 16;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

STRATA_ALWAYS_INLINE float max_of(const float* x, int n) {
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = kMinusInf;
  int j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] = lanes[l] < x[j + l] ? x[j + l] : lanes[l];
  float m = kMinusInf;
  for (; j < n; ++j) m = m < x[j] ? x[j] : m;
  for (int l = 0; l < kLanes; ++l) m = m < lanes[l] ? lanes[l] : m;
  return m;
}

// x[j] = exp(x[j] − shift); returns the sum.
STRATA_ALWAYS_INLINE float exp_and_sum(float* x, int n, float shift) {
  float lanes[kLanes] = {};
  int j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float e = kernels::exp_approx(x[j + l] - shift);
      x[j + l] = e;
      lanes[l] += e;
    }
  }
  float sum = 0.0f;
  for (; j < n; ++j) {
    x[j] = kernels::exp_approx(x[j] - shift);
    sum += x[j];
  }
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

STRATA_ALWAYS_INLINE void zero_tail(float* x, int from, int to) {
  for (int j = from; j < to; ++j) x[j] = 0.0f;
}

}  // namespace

float exp_approx(float x) { return kernels::exp_approx(x); }

STRATA_VECTOR_CLONES void softmax(const CausalPanel& s) {
  for (int r = 0; r < s.rows; ++r) {
    float* x = s.row(r);
    const int v = s.valid(r);
    if (v > 0) {
      const float inverse = 1.0f / exp_and_sum(x, v, max_of(x, v));
      for (int j = 0; j < v; ++j) x[j] *= inverse;
    }
    zero_tail(x, v, s.cols);
  }
}

STRATA_VECTOR_CLONES void online_softmax(const CausalPanel& s, float* m, float* l, float* corr) {
  for (int r = 0; r < s.rows; ++r) {
    float* x = s.row(r);
    const int v = s.valid(r);
    corr[r] = 1.0f;
    if (v > 0) {
      const float tile_max = max_of(x, v);
      const float m_new = m[r] < tile_max ? tile_max : m[r];
      corr[r] = kernels::exp_approx(m[r] - m_new);  // m[r] = −inf on a row's first block: 0
      l[r] = l[r] * corr[r] + exp_and_sum(x, v, m_new);
      m[r] = m_new;
    }
    zero_tail(x, v, s.cols);
  }
}

STRATA_VECTOR_CLONES void probabilities(const CausalPanel& s, const float* lse) {
  for (int r = 0; r < s.rows; ++r) {
    float* x = s.row(r);
    const int v = s.valid(r);
    const float shift = lse[r];
    for (int j = 0; j < v; ++j) x[j] = kernels::exp_approx(x[j] - shift);
    zero_tail(x, v, s.cols);
  }
}

STRATA_VECTOR_CLONES void softmax_grad(const CausalPanel& dp, const float* p, int ld_p,
                                       const float* d) {
  for (int r = 0; r < dp.rows; ++r) {
    float* g = dp.row(r);
    const float* pr = p + static_cast<long>(r) * ld_p;
    const int v = dp.valid(r);
    const float dr = d[r];
    for (int j = 0; j < v; ++j) g[j] = pr[j] * (g[j] - dr);
    zero_tail(g, v, dp.cols);
  }
}

STRATA_VECTOR_CLONES float dot(const float* a, const float* b, int n) {
  float lanes[kLanes] = {};
  int j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += a[j + l] * b[j + l];
  float sum = 0.0f;
  for (; j < n; ++j) sum += a[j] * b[j];
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

STRATA_VECTOR_CLONES void scale(float* x, int n, float factor) {
  for (int j = 0; j < n; ++j) x[j] *= factor;
}

}  // namespace strata::kernels::attention_rows
