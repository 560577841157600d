// ChunkLayout alone: one chunk per layer (two at stage 3 when some of its
// parameters are under the persistence threshold), padding to dp x 16
// elements, shards that tile every parameter exactly once across ranks, and
// state bytes against the ZeRO paper's per-stage formulas.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "model/gpt_params.hpp"
#include "zero/chunk_layout.hpp"

namespace strata::zero {
namespace {

// Three "layers": a 100-element matrix and a 7-element bias; a 30x20
// matrix; a 5-element gain and a 5-element shift.
model::ParamSpec spec(std::string name, std::vector<std::int64_t> shape) {
  model::ParamSpec made;
  made.name = std::move(name);
  made.shape = std::move(shape);
  return made;
}

std::vector<model::ParamSpec> specs() {
  return {spec("a.weight", {10, 10}), spec("a.bias", {7}), spec("b.weight", {30, 20}),
          spec("c.gain", {5}), spec("c.shift", {5})};
}
const std::vector<std::vector<std::size_t>> kLayers = {{0, 1}, {2}, {3, 4}};

TEST(ChunkLayout, StageZeroIsOneWholeChunkPerLayer) {
  const ChunkLayout layout(specs(), kLayers, {0, 1, 0, 0});
  ASSERT_EQ(layout.chunks().size(), 3u);
  EXPECT_EQ(layout.chunks()[0].numel, 107);
  EXPECT_EQ(layout.chunks()[0].padded, 112);  // 7 x 16
  EXPECT_EQ(layout.chunks()[1].padded, 608);
  EXPECT_EQ(layout.chunks()[2].padded, 16);
  EXPECT_FALSE(layout.chunks()[0].partitioned);
  EXPECT_EQ(layout.full_size(), 112 + 608 + 16);
  EXPECT_EQ(layout.local_size(), layout.full_size());
  EXPECT_EQ(layout.sharded_size(), 0);
  EXPECT_EQ(layout.param_count(), 717);
  EXPECT_EQ(layout.placement(1).offset, 100);
  EXPECT_EQ(layout.chunk_of(4), 2u);
}

TEST(ChunkLayout, ShardsTileEveryParameterExactlyOnce) {
  for (int stage : {1, 2, 3})
    for (int dp : {2, 3, 4}) {
      std::vector<std::vector<int>> owners(specs().size());
      for (auto& o : owners) o.clear();
      std::vector<std::vector<int>> count(specs().size());
      for (std::size_t s = 0; s < specs().size(); ++s)
        count[s].assign(static_cast<std::size_t>(model::numel(specs()[s])), 0);
      std::int64_t local_total = -1;
      for (int rank = 0; rank < dp; ++rank) {
        const ChunkLayout layout(specs(), kLayers, {stage, dp, rank, 0});
        if (local_total < 0) local_total = layout.local_size();
        EXPECT_EQ(layout.local_size(), local_total) << "every rank's piece is the same size";
        for (const auto& chunk : layout.chunks()) {
          EXPECT_EQ(chunk.padded % (dp * kAlignElements), 0);
          EXPECT_EQ(chunk.local_size * dp, chunk.padded);
          EXPECT_EQ(chunk.local_begin, rank * chunk.local_size);
        }
        for (std::size_t s = 0; s < specs().size(); ++s) {
          const auto run = layout.local_run(s);
          for (std::int64_t i = 0; i < run.count; ++i)
            ++count[s][static_cast<std::size_t>(run.spec_begin + i)];
        }
      }
      for (std::size_t s = 0; s < specs().size(); ++s)
        for (int c : count[s]) ASSERT_EQ(c, 1) << "stage " << stage << " dp " << dp;
    }
}

TEST(ChunkLayout, StageThreeKeepsSmallParametersWholeInAChunkOfTheirOwn) {
  // Threshold 10: a.bias (7) and c's two 5-element vectors stay whole.
  const ChunkLayout layout(specs(), kLayers, {3, 2, 1, 10});
  ASSERT_EQ(layout.chunks().size(), 4u);  // a: gathered + persistent, b, c: persistent
  EXPECT_EQ(layout.chunks_of_layer(0).size(), 2u);
  const auto& a_gathered = layout.chunks()[0];
  const auto& a_persistent = layout.chunks()[1];
  EXPECT_TRUE(a_gathered.partitioned);
  EXPECT_EQ(a_gathered.padded, 128);  // 100 -> multiple of 2 x 16
  EXPECT_EQ(a_gathered.local_begin, 64);
  EXPECT_EQ(a_gathered.resident_offset, -1);
  EXPECT_FALSE(a_persistent.partitioned);
  EXPECT_EQ(a_persistent.padded, 16);
  EXPECT_EQ(a_persistent.resident_offset, 0);
  // Sharded: a (64) + b (608 -> 608 is 19 x 32, half 304). Resident: 16 + 16.
  EXPECT_EQ(layout.sharded_size(), 64 + 304);
  EXPECT_EQ(layout.full_size(), 32);
  EXPECT_EQ(layout.local_size(), 64 + 16 + 304 + 16);
}

// The ZeRO paper's bytes per rank for Ψ parameters on N_d ranks, mixed
// precision with Adam (K = 12), and the fp32 analogue (params 4, grads 4,
// moments 8).
double paper_bytes(int stage, double psi, double n, bool mixed) {
  const double p = mixed ? 2 : 4, g = mixed ? 2 : 4, k = mixed ? 12 : 8;
  switch (stage) {
    case 0: return (p + g + k) * psi;
    case 1: return (p + g) * psi + k * psi / n;
    case 2: return p * psi + (g + k) * psi / n;
    default: return (p + g + k) * psi / n;
  }
}

TEST(ChunkLayout, StateBytesFollowTheZeroPaperOnGpt2Shapes) {
  const model::GptShape shape{12, 12, 768, 256, 50304, true};
  const auto all = model::gpt_params(shape);
  // Layer l's parameters as the model lists them: wte, wpe; then 12 per
  // block; then the final LayerNorm's two.
  std::vector<std::vector<std::size_t>> layers;
  std::size_t next = 0;
  auto take = [&](std::size_t n) {
    layers.emplace_back(n);
    std::iota(layers.back().begin(), layers.back().end(), next);
    next += n;
  };
  take(2);
  for (int b = 0; b < shape.n_layer; ++b) take(12);
  take(2);
  ASSERT_EQ(next, all.size());
  const double psi = static_cast<double>(model::total_numel(all));
  for (bool mixed : {false, true})
    for (int n : {1, 2, 4, 8})
      for (int stage = 0; stage <= 3; ++stage) {
        // Threshold 0: nothing persists, so the paper's table applies as is.
        const ChunkLayout layout(all, layers, {stage, n, n - 1, 0});
        const auto bytes = state_bytes(layout, mixed);
        const double paper = paper_bytes(stage, psi, n, mixed);
        EXPECT_LT(std::abs(static_cast<double>(bytes.total()) - paper) / paper, 1e-3)
            << "stage " << stage << " N_d " << n << (mixed ? " mixed" : " fp32");
        EXPECT_GE(static_cast<double>(bytes.total()), paper) << "padding only adds";
      }
}

TEST(ChunkLayout, BadArgumentsAreRefused) {
  EXPECT_ANY_THROW(ChunkLayout(specs(), kLayers, {4, 1, 0, 0}));
  EXPECT_ANY_THROW(ChunkLayout(specs(), kLayers, {1, 2, 2, 0}));
  EXPECT_ANY_THROW(ChunkLayout(specs(), {{0, 1}, {2}}, {0, 1, 0, 0}));  // c.* in no layer
  EXPECT_ANY_THROW(ChunkLayout(specs(), {{0, 1}, {1, 2}, {3, 4}}, {0, 1, 0, 0}));
}

}  // namespace
}  // namespace strata::zero
