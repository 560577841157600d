// The GPT-2 parameter catalogue against published sizes, and counter-based
// initialisation: any slice equals the same slice of the whole tensor.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "model/gpt_params.hpp"

namespace strata::model {
namespace {

GptShape gpt2_small() {
  GptShape shape;
  shape.n_layer = 12;
  shape.n_head = 12;
  shape.n_embd = 768;
  shape.block_size = 1024;
  shape.vocab_size = 50257;
  shape.bias = true;
  return shape;
}

TEST(GptParams, Gpt2SmallHasThePublishedParameterCount) {
  // Hugging Face's GPT-2 (124M) reports 124,439,808 parameters, LM head tied.
  EXPECT_EQ(total_numel(gpt_params(gpt2_small())), 124439808);
}

TEST(GptParams, WithoutBiasDropsExactlyTheBiases) {
  GptShape shape = gpt2_small();
  shape.bias = false;
  const int64_t c = shape.n_embd;
  // Per block: ln_1, c_attn (3C), c_proj (C), ln_2, c_fc (4C), c_proj (C); plus ln_f.
  const int64_t biases = shape.n_layer * (c + 3 * c + c + c + 4 * c + c) + c;
  EXPECT_EQ(total_numel(gpt_params(shape)), 124439808 - biases);
}

TEST(GptParams, NamesShapesAndOrderFollowPyTorchGpt2) {
  GptShape shape = gpt2_small();
  shape.n_layer = 2;
  const std::vector<ParamSpec> specs = gpt_params(shape);
  ASSERT_EQ(specs.size(), 2u + 2 * 12 + 2);
  EXPECT_EQ(specs[0].name, "wte.weight");
  EXPECT_EQ(specs[0].shape, (std::vector<int64_t>{50257, 768}));
  EXPECT_EQ(specs[1].name, "wpe.weight");
  EXPECT_EQ(specs[2].name, "h.0.ln_1.weight");
  EXPECT_EQ(specs[4].name, "h.0.attn.c_attn.weight");
  EXPECT_EQ(specs[4].shape, (std::vector<int64_t>{3 * 768, 768}));
  EXPECT_EQ(specs[10].name, "h.0.mlp.c_fc.weight");
  EXPECT_EQ(specs[12].name, "h.0.mlp.c_proj.weight");
  EXPECT_EQ(specs[12].shape, (std::vector<int64_t>{768, 4 * 768}));
  EXPECT_EQ(specs[14].name, "h.1.ln_1.weight");
  EXPECT_EQ(specs.back().name, "ln_f.bias");
  std::set<std::string> names;
  for (const ParamSpec& spec : specs) names.insert(spec.name);
  EXPECT_EQ(names.size(), specs.size()) << "parameter names must be unique";
}

TEST(GptParams, InitRulesAndDecayFollowGpt2) {
  const GptShape shape = gpt2_small();
  const double residual_std = 0.02 / std::sqrt(24.0);
  for (const ParamSpec& spec : gpt_params(shape)) {
    const bool is_bias = spec.name.size() > 5 && spec.name.substr(spec.name.size() - 5) == ".bias";
    const bool is_norm = spec.name.find("ln_") != std::string::npos;
    const bool is_residual = spec.name.find("c_proj.weight") != std::string::npos;
    if (is_bias) {
      EXPECT_EQ(spec.init, InitRule::zeros) << spec.name;
    } else if (is_norm) {
      EXPECT_EQ(spec.init, InitRule::ones) << spec.name;
    } else {
      EXPECT_EQ(spec.init, InitRule::normal) << spec.name;
      EXPECT_DOUBLE_EQ(spec.std, is_residual ? residual_std : 0.02) << spec.name;
    }
    EXPECT_EQ(spec.weight_decay, !is_bias && !is_norm) << spec.name;
  }
}

TEST(InitializeSlice, AnySliceEqualsTheWholeTensorThere) {
  const ParamSpec spec{"h.0.mlp.c_fc.weight", {64, 16}, InitRule::normal, 0.02, true, std::nullopt};
  std::vector<float> whole(numel(spec));
  initialize_slice(spec, 1234, 0, numel(spec), whole.data());
  for (int64_t begin : {0, 1, 100, 511, 1000}) {
    for (int64_t end : {begin, begin + 1, begin + 23, numel(spec)}) {
      if (end > numel(spec) || end < begin) continue;
      std::vector<float> slice(end - begin);
      initialize_slice(spec, 1234, begin, end, slice.data());
      for (int64_t i = begin; i < end; ++i) ASSERT_EQ(slice[i - begin], whole[i]) << i;
    }
  }
}

TEST(InitializeSlice, NormalHasTheRequestedSpreadAndDependsOnNameAndSeed) {
  const ParamSpec a{"wte.weight", {200000}, InitRule::normal, 0.02, true, std::nullopt};
  ParamSpec b = a;
  b.name = "wpe.weight";
  std::vector<float> va(numel(a)), vb(numel(b)), vc(numel(a));
  initialize_slice(a, 1, 0, numel(a), va.data());
  initialize_slice(b, 1, 0, numel(b), vb.data());
  initialize_slice(a, 2, 0, numel(a), vc.data());
  double sum = 0, sum_sq = 0;
  for (float x : va) {
    sum += x;
    sum_sq += double(x) * x;
  }
  const double mean = sum / va.size();
  const double std = std::sqrt(sum_sq / va.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 4 * 0.02 / std::sqrt(double(va.size())));
  EXPECT_NEAR(std, 0.02, 0.02 * 0.01);
  EXPECT_NE(va, vb) << "different names must draw different streams";
  EXPECT_NE(va, vc) << "different seeds must draw different values";
}

TEST(InitializeSlice, ConstantRules) {
  std::vector<float> out(5, -1.0f);
  initialize_slice(ParamSpec{"ln_f.weight", {5}, InitRule::ones, 0, false, std::nullopt}, 7, 0, 5,
                   out.data());
  EXPECT_EQ(out, std::vector<float>(5, 1.0f));
  initialize_slice(ParamSpec{"ln_f.bias", {5}, InitRule::zeros, 0, false, std::nullopt}, 7, 1, 4,
                   out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 0, 0, 1, 1}));
}

TEST(GptFlops, MatchesSixNPlusAttentionByHand) {
  const GptShape shape = gpt2_small();
  // N without wpe: 124,439,808 - 1024·768 = 123,653,376; 6N = 741,920,256;
  // attention 12·L·C·T = 12·12·768·1024 = 113,246,208.
  EXPECT_DOUBLE_EQ(gpt_train_flops_per_token(shape, 1024), 741920256.0 + 113246208.0);
}

}  // namespace
}  // namespace strata::model
