// The softmax pieces of causal attention, applied to panels of score rows
// between the GEMMs; host code, vectorised for the CPU it runs on.
#pragma once

namespace strata::kernels::attention_rows {

// `rows` rows of `cols` scores with row stride `ld`. Row r sees its first
// valid(r) = clamp(first_valid + r, 0, cols) entries; the rest are masked
// (future positions) and every function writes them as exact zeros, so the
// GEMMs that read a whole panel afterwards ignore them.
struct CausalPanel {
  float* data;
  int ld;
  int rows;
  int cols;
  int first_valid;

  int valid(int r) const {
    const int v = first_valid + r;
    return v < 0 ? 0 : (v > cols ? cols : v);
  }
  float* row(int r) const { return data + static_cast<long>(r) * ld; }
};

// Materialised forward: each row becomes softmax(row) over its valid part.
void softmax(const CausalPanel& s);

// Tiled forward, one key block: with m (running max) and l (running sum of
// exp(score − m)) per row, turns scores into exp(score − m_new), updates m
// and l, and sets corr[r] = exp(m_old − m_new), the factor the row's output
// accumulator must be scaled by. Rows with no valid entry keep m, l and get
// corr = 1.
void online_softmax(const CausalPanel& s, float* m, float* l, float* corr);

// Tiled backward: scores become probabilities exp(score − lse[r]).
void probabilities(const CausalPanel& s, const float* lse);

// Both backward variants: dp becomes dS = p ∘ (dp − d[r]) on valid entries
// (the softmax Jacobian applied to dP, d[r] = Σ_j p·dp = dO[r]·O[r]).
void softmax_grad(const CausalPanel& dp, const float* p, int ld_p, const float* d);

float dot(const float* a, const float* b, int n);
void scale(float* x, int n, float factor);

// exp(x) to about 1 ulp on x ≤ 88 (0 below −87.3): the same polynomial the
// panel functions use, exposed for the tests.
float exp_approx(float x);

}  // namespace strata::kernels::attention_rows
