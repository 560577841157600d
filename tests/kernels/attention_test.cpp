// Causal attention, both variants: against the double reference (forward
// and backward), finite differences, the causal mask, T = 1, large scores,
// tiled vs materialised at many T, and the plan's checks.
#include <gtest/gtest.h>

#include <cmath>

#include "../support/error_text.hpp"
#include "attention_reference.hpp"
#include "attention_runs.hpp"
#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "kernels/attention_heads.hpp"
#include "kernels/attention_rows.hpp"

namespace {

using namespace strata::testing::dense;
using strata::kernels::AttentionAlgo;
using strata::kernels::AttentionOptions;
using strata::kernels::AttentionPlan;
using strata::kernels::plan_attention;

struct Case {
  AttentionShape shape;
  AttentionOptions options;
  const char* name;
};

// Shapes that cover one panel, several panels with a ragged last one, and
// (tiled) several key blocks with rows that see none of a block.
std::vector<Case> cases() {
  std::vector<Case> all;
  const AttentionShape shapes[] = {{2, 5, 8, 2}, {1, 1, 4, 1}, {2, 70, 32, 2}, {1, 300, 16, 2}};
  for (const auto& s : shapes) {
    all.push_back({s, {AttentionAlgo::materialized, 0, 0}, "materialized"});
    all.push_back({s, {AttentionAlgo::tiled, 0, 0}, "tiled"});
    all.push_back({s, {AttentionAlgo::portable, 0, 0}, "portable"});
  }
  all.push_back({{2, 70, 32, 2}, {AttentionAlgo::materialized, 16, 0}, "materialized q16"});
  all.push_back({{2, 70, 32, 2}, {AttentionAlgo::tiled, 16, 24}, "tiled 16x24"});
  all.push_back({{1, 45, 12, 3}, {AttentionAlgo::tiled, 24, 16}, "tiled 24x16"});
  return all;
}

std::string trace(const Case& c) {
  return std::string(c.name) + " B=" + std::to_string(c.shape.batch) +
         " T=" + std::to_string(c.shape.seq) + " C=" + std::to_string(c.shape.channels) +
         " NH=" + std::to_string(c.shape.heads);
}

AttentionPlan plan_for(const Case& c) {
  const auto& s = c.shape;
  return plan_attention(s.batch, s.seq, s.channels, s.heads, c.options);
}

TEST(Attention, ForwardAndBackwardMatchDoubleReference) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(trace(c));
    const auto& s = c.shape;
    const AttentionPlan plan = plan_for(c);
    const std::size_t rows = static_cast<std::size_t>(s.batch) * s.seq;
    const auto qkv = random_matrix(rows, 3 * s.channels, 1, -2.0f, 2.0f);
    const auto dout = random_matrix(rows, s.channels, 2);
    const AttentionForward f = run_attention_forward(plan, qkv);
    const HostMatrix qkv_h = to_host(qkv);
    EXPECT_LT(normwise_error(to_host(f.out), reference_attention_forward(s, qkv_h)), 1e-6);
    const MatrixF dqkv = run_attention_backward(plan, qkv, f, dout);
    EXPECT_LT(normwise_error(to_host(dqkv), reference_attention_backward(s, qkv_h, to_host(dout))),
              3e-6);
  }
}

// L = Σ G∘out, differentiated numerically through the kernel's own forward.
TEST(Attention, BackwardMatchesFiniteDifferences) {
  const AttentionShape s{2, 4, 4, 2};
  for (const AttentionOptions& options : {AttentionOptions{AttentionAlgo::materialized, 0, 0},
                                          AttentionOptions{AttentionAlgo::materialized, 2, 0},
                                          AttentionOptions{AttentionAlgo::tiled, 2, 3},
                                          AttentionOptions{AttentionAlgo::portable, 0, 0}}) {
    const AttentionPlan plan = plan_attention(s.batch, s.seq, s.channels, s.heads, options);
    SCOPED_TRACE("tiled=" + std::to_string(plan.algo == AttentionAlgo::tiled) +
                 " block_q=" + std::to_string(plan.block_q));
    auto qkv = random_matrix(8, 12, 3, -1.5f, 1.5f);
    const auto g = random_matrix(8, 4, 4);
    expect_backward_matches_finite_differences(plan, qkv, g);
  }
}

// Changing positions after t0 (and another sequence) leaves outputs up to
// t0 bit-identical; a dout that is zero after t0 gives zero dqkv after t0.
TEST(Attention, CausalMaskIsExact) {
  const AttentionShape s{2, 150, 16, 2};
  const int t0 = 90;
  for (const AttentionOptions& options : {AttentionOptions{AttentionAlgo::materialized, 0, 0},
                                          AttentionOptions{AttentionAlgo::tiled, 32, 40},
                                          AttentionOptions{AttentionAlgo::portable, 0, 0}}) {
    const AttentionPlan plan = plan_attention(s.batch, s.seq, s.channels, s.heads, options);
    const auto qkv = random_matrix(300, 48, 5);
    const HostMatrix before = to_host(run_attention_forward(plan, qkv).out);
    auto changed = copy_of(qkv);
    for (int i = t0 + 1; i < 150; ++i)
      for (int j = 0; j < 48; ++j) changed(i, j) = 5.0f - changed(i, j);
    for (int j = 0; j < 48; ++j) changed(200, j) += 1.0f;  // the second sequence
    const HostMatrix after = to_host(run_attention_forward(plan, changed).out);
    for (int i = 0; i <= t0; ++i)
      for (int j = 0; j < 16; ++j) ASSERT_EQ(after(i, j), before(i, j)) << "row " << i;

    auto dout = random_matrix(300, 16, 6);
    for (int i = 0; i < 300; ++i)
      for (int j = 0; j < 16; ++j)
        if (i % 150 > t0) dout(i, j) = 0.0f;
    const HostMatrix dqkv =
        to_host(run_attention_backward(plan, qkv, run_attention_forward(plan, qkv), dout));
    for (int i = 0; i < 300; ++i)
      for (int j = 0; j < 48; ++j)
        if (i % 150 > t0) {
          ASSERT_EQ(dqkv(i, j), 0.0) << "row " << i << " col " << j;
        }
  }
}

// One position attends only to itself: out = v, dv = dout, dq = dk = 0.
TEST(Attention, SingleTokenIsIdentityOnValues) {
  for (AttentionAlgo algo :
       {AttentionAlgo::materialized, AttentionAlgo::tiled, AttentionAlgo::portable}) {
    const AttentionPlan plan = plan_attention(3, 1, 8, 2, {algo, 0, 0});
    const auto qkv = random_matrix(3, 24, 7), dout = random_matrix(3, 8, 8);
    const AttentionForward f = run_attention_forward(plan, qkv);
    const HostMatrix out = to_host(f.out), q = to_host(qkv), d = to_host(dout);
    const HostMatrix dqkv = to_host(run_attention_backward(plan, qkv, f, dout));
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 8; ++j) {
        EXPECT_EQ(out(i, j), q(i, 16 + j));
        EXPECT_EQ(dqkv(i, 16 + j), d(i, j));
        EXPECT_EQ(dqkv(i, j), 0.0);
        EXPECT_EQ(dqkv(i, 8 + j), 0.0);
      }
  }
}

// Scores in the hundreds overflow a naive exp; the max-shifted softmax must not.
TEST(Attention, LargeScoresStayFinite) {
  const AttentionShape s{1, 40, 8, 1};
  const auto qkv = random_matrix(40, 24, 9, -12.0f, 12.0f);
  const HostMatrix want = reference_attention_forward(s, to_host(qkv));
  for (AttentionAlgo algo :
       {AttentionAlgo::materialized, AttentionAlgo::tiled, AttentionAlgo::portable}) {
    const AttentionPlan plan = plan_attention(1, 40, 8, 1, {algo, 16, 16});
    EXPECT_LT(normwise_error(to_host(run_attention_forward(plan, qkv).out), want), 1e-5);
  }
}

// algo against the materialised variant at each sequence length: the same
// numbers up to fp32 summation order.
void expect_agrees_with_materialized(AttentionAlgo algo, int batch,
                                     std::initializer_list<int> lengths, unsigned seed) {
  for (int t : lengths) {
    SCOPED_TRACE("T=" + std::to_string(t));
    const auto qkv = random_matrix(batch * t, 3 * 128, seed + t, -1.5f, 1.5f);
    const auto dout = random_matrix(batch * t, 128, seed + 1 + t);
    const AttentionPlan mat = plan_attention(batch, t, 128, 2, {AttentionAlgo::materialized, 0, 0});
    const AttentionPlan other = plan_attention(batch, t, 128, 2, {algo, 0, 0});
    const AttentionForward fm = run_attention_forward(mat, qkv),
                           fo = run_attention_forward(other, qkv);
    EXPECT_LT(normwise_error(to_host(fo.out), to_host(fm.out)), 1e-6);
    EXPECT_LT(normwise_error(to_host(run_attention_backward(other, qkv, fo, dout)),
                             to_host(run_attention_backward(mat, qkv, fm, dout))),
              3e-6);
  }
}

TEST(Attention, TiledAgreesWithMaterializedAtManyLengths) {
  expect_agrees_with_materialized(AttentionAlgo::tiled, 1,
                                  {1, 2, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300, 520}, 10);
}

// The device variant, run here on the host backend.
TEST(Attention, PortableAgreesWithMaterializedAtManyLengths) {
  expect_agrees_with_materialized(AttentionAlgo::portable, 2, {1, 2, 63, 64, 65, 129, 300, 520},
                                  20);
}

// The materialised variant's device form, run here on the host backend:
// the host form's outputs, probabilities (zero above the diagonal) and
// gradients, up to fp32 summation order.
TEST(Attention, MaterializedPortableAgreesWithMaterialized) {
  for (const AttentionShape& s :
       {AttentionShape{1, 1, 4, 1}, AttentionShape{2, 70, 32, 2}, AttentionShape{2, 129, 128, 2}}) {
    SCOPED_TRACE("T=" + std::to_string(s.seq));
    const AttentionPlan plan =
        plan_attention(s.batch, s.seq, s.channels, s.heads, {AttentionAlgo::materialized, 0, 0});
    const int rows = s.batch * s.seq;
    const auto qkv = random_matrix(rows, 3 * s.channels, 40 + s.seq, -1.5f, 1.5f);
    const auto dout = random_matrix(rows, s.channels, 41 + s.seq);
    const AttentionForward host = run_attention_forward(plan, qkv);
    AttentionForward device{MatrixF("out", rows, s.channels), VectorF("saved", plan.saved_floats)};
    Kokkos::deep_copy(device.out, 9.0f);
    Kokkos::deep_copy(device.saved, 7.0f);
    strata::kernels::attention_detail::materialized_portable_forward(plan, qkv, device.out,
                                                                     device.saved);
    EXPECT_LT(normwise_error(to_host(device.out), to_host(host.out)), 1e-6);
    const std::size_t t = static_cast<std::size_t>(s.seq);
    for (std::size_t head = 0; head < static_cast<std::size_t>(s.batch * s.heads); ++head)
      for (std::size_t i = 0; i < t; ++i)
        for (std::size_t j = 0; j < t; ++j) {
          const std::size_t at = (head * t + i) * t + j;
          if (j > i)
            ASSERT_EQ(device.saved(at), 0.0f) << "above the diagonal at " << at;
          else
            ASSERT_NEAR(device.saved(at), host.saved(at), 1e-6f) << at;
        }
    MatrixF dqkv("dqkv", rows, 3 * s.channels);
    Kokkos::deep_copy(dqkv, 9.0f);
    VectorF workspace("workspace", plan.workspace_floats);
    Kokkos::deep_copy(workspace, 5.0f);
    strata::kernels::attention_detail::materialized_portable_backward(
        plan, dout, qkv, device.out, device.saved, dqkv, workspace);
    EXPECT_LT(normwise_error(to_host(dqkv), to_host(run_attention_backward(plan, qkv, host, dout))),
              3e-6);
  }
}

TEST(Attention, PlanPicksVariantAndChecksArguments) {
  EXPECT_EQ(plan_attention(4, 256, 768, 12, {AttentionAlgo::materialized, 0, 0}).algo,
            AttentionAlgo::materialized);
  EXPECT_EQ(plan_attention(4, 256, 96, 8).algo, AttentionAlgo::materialized);  // hs 12: not fused
  EXPECT_EQ(plan_attention(4, AttentionPlan::tiled_from_seq, 768, 12).algo, AttentionAlgo::tiled);
  EXPECT_EQ(plan_attention(4, 256, 768, 12, {AttentionAlgo::materialized, 0, 0}).saved_floats,
            4u * 12 * 256 * 256);
  EXPECT_EQ(plan_attention(4, 1024, 768, 12).saved_floats, 4u * 12 * 1024);
  EXPECT_NE(strata::testing::error_text([] { plan_attention(1, 8, 100, 12); }).find("n_head"),
            std::string::npos);
  const AttentionPlan plan = plan_attention(1, 8, 16, 2);
  MatrixF qkv("qkv", 8, 48), out("out", 8, 16);
  VectorF saved("saved", plan.saved_floats), small("small", plan.workspace_floats - 1);
  EXPECT_THROW(strata::kernels::attention_forward(plan, qkv, out, saved, small), strata::Error);
  EXPECT_THROW(strata::kernels::attention_forward(plan, MatrixF("bad", 8, 47), out, saved,
                                                  VectorF("w", plan.workspace_floats)),
               strata::Error);
}

TEST(AttentionRows, ExpIsAccurateToAboutOneUlp) {
  double worst = 0.0;
  for (float x = -87.0f; x <= 88.0f; x += 0.001234f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(strata::kernels::attention_rows::exp_approx(x) - want) / want);
  }
  EXPECT_LT(worst, 1.2e-7);  // measured 9.2e-8; float's ulp is 1.2e-7 relative at most
  EXPECT_EQ(strata::kernels::attention_rows::exp_approx(-200.0f), 0.0f);
  EXPECT_EQ(strata::kernels::attention_rows::exp_approx(0.0f), 1.0f);
  EXPECT_EQ(strata::kernels::attention_rows::exp_approx(-INFINITY), 0.0f);
}

}  // namespace
