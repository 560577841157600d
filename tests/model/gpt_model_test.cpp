// The GPT layers through the Layer interface, with parameter buffers the
// test owns: gradients against central finite differences of the loss, the
// padded vocabulary kept out of the loss, and bias-free models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../support/layer_views.hpp"
#include "core/error.hpp"
#include "core/memory_ledger.hpp"
#include "model/gpt_model.hpp"

namespace strata::model {
namespace {

// One Kokkos view per parameter and per gradient, as a minimal "engine".
struct Buffers {
  std::vector<ParamSpec> specs;
  std::vector<kernels::VectorF> params, grads;

  Buffers(const GptModel& model, std::uint64_t seed) : specs(model.params()) {
    for (const auto& spec : specs) {
      params.emplace_back(spec.name, numel(spec));
      grads.emplace_back(spec.name + ".grad", numel(spec));
      initialize_slice(spec, seed, 0, numel(spec), params.back().data());
    }
  }
  std::size_t index(const std::string& name) const {
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == name) return i;
    ADD_FAILURE() << "no parameter " << name;
    return 0;
  }
  ParamViews views(const Layer& layer, bool grad) const {
    return testing::layer_views(layer, specs, grad ? grads : params);
  }
};

struct Harness {
  GptShape shape;
  int real_vocab;
  MemoryLedger ledger;
  GptModel model;
  Buffers buffers;
  StepContext ctx;
  std::vector<float> dres;

  Harness(GptShape s, int vocab, int B, int T)
      : shape(s), real_vocab(vocab), model(s, vocab, ledger, B, T), buffers(model, 7) {
    ctx.batch = B;
    ctx.seq = T;
    ctx.tokens = decltype(ctx.tokens)("tokens", B * T);
    ctx.targets = decltype(ctx.targets)("targets", B * T);
    for (int n = 0; n < B * T; ++n) {
      ctx.tokens(n) = (n * 7 + 3) % vocab;
      ctx.targets(n) = (n * 5 + 1) % vocab;
    }
    dres.resize(static_cast<std::size_t>(B * T * s.n_embd));
  }
  double loss(bool training) {
    ctx.training = training;
    ctx.dloss = static_cast<float>(1.0 / ctx.rows());
    kernels::ConstMatrixF x;
    for (const auto& layer : model.layers())
      x = layer->forward(ctx, buffers.views(*layer, false), x);
    return ctx.loss;
  }
  double loss_and_grads() {
    for (auto& g : buffers.grads) Kokkos::deep_copy(g, 0.0f);
    const double value = loss(true);
    const kernels::MatrixF d(dres.data(), ctx.rows(), shape.n_embd);
    const auto& layers = model.layers();
    for (std::size_t i = layers.size(); i-- > 0;)
      layers[i]->backward(ctx, buffers.views(*layers[i], false), buffers.views(*layers[i], true),
                          d);
    return value;
  }
};

GptShape tiny(bool bias) { return GptShape{2, 2, 16, 8, 32, bias}; }

// Central differences in fp32 are noisy, so check, for each parameter, the
// element with the largest gradient (relative) and a few others (absolute).
void expect_gradients_match(Harness& h) {
  h.loss_and_grads();
  const double step = 3e-3;
  for (std::size_t p = 0; p < h.buffers.specs.size(); ++p) {
    auto& values = h.buffers.params[p];
    const auto& grads = h.buffers.grads[p];
    const auto n = static_cast<std::int64_t>(values.extent(0));
    std::int64_t largest = 0;
    for (std::int64_t i = 1; i < n; ++i)
      if (std::fabs(grads(i)) > std::fabs(grads(largest))) largest = i;
    for (std::int64_t i : {largest, n / 3, n - 1}) {
      const float saved = values(i);
      values(i) = saved + static_cast<float>(step);
      const double up = h.loss(false);
      values(i) = saved - static_cast<float>(step);
      const double down = h.loss(false);
      values(i) = saved;
      const double numeric = (up - down) / (2 * step);
      EXPECT_NEAR(grads(i), numeric, 2e-4 + 1e-2 * std::fabs(numeric))
          << h.buffers.specs[p].name << "[" << i << "]";
    }
  }
}

TEST(GptModel, LayersAreEmbeddingBlocksFinalWithAllParameters) {
  MemoryLedger ledger;
  GptModel model(tiny(true), 29, ledger, 2, 8);
  ASSERT_EQ(model.layers().size(), 4u);
  EXPECT_EQ(model.layers().front()->name(), "embedding");
  EXPECT_EQ(model.layers()[1]->name(), "h.0");
  EXPECT_EQ(model.layers().back()->shared_params(), std::vector<std::string>{"wte.weight"});
  const auto specs = model.params();
  const auto expected = gpt_params(tiny(true));
  ASSERT_EQ(specs.size(), expected.size());
  for (std::size_t i = 0; i < specs.size(); ++i) EXPECT_EQ(specs[i].name, expected[i].name);
  EXPECT_GT(ledger.usage(MemoryCategory::activation, MemoryTier::device).current, 0u);
}

TEST(GptModel, InitialLossIsNearUniform) {
  Harness h(tiny(true), 29, 2, 8);
  EXPECT_NEAR(h.loss(false), std::log(29.0), 0.2);
}

TEST(GptModel, GradientsMatchFiniteDifferences) {
  Harness h(tiny(true), 29, 2, 8);
  expect_gradients_match(h);
}

TEST(GptModel, GradientsMatchFiniteDifferencesWithoutBias) {
  Harness h(tiny(false), 32, 1, 8);
  expect_gradients_match(h);
}

TEST(GptModel, PaddedVocabularyRowsGetNoGradient) {
  Harness h(tiny(true), 29, 2, 8);
  h.loss_and_grads();
  const auto& wte = h.buffers.grads[h.buffers.index("wte.weight")];
  for (int row = 29; row < 32; ++row)
    for (int c = 0; c < 16; ++c) EXPECT_EQ(wte(row * 16 + c), 0.0f);
}

TEST(GptModel, TrainingAndEvalForwardGiveTheSameLoss) {
  Harness h(tiny(true), 29, 2, 8);
  EXPECT_EQ(h.loss(true), h.loss(false));
}

TEST(GptModel, RefusesSequencesLongerThanTheBlockAndTooSmallVocab) {
  MemoryLedger ledger;
  EXPECT_THROW(GptModel(tiny(true), 29, ledger, 1, 9), Error);
  EXPECT_THROW(GptModel(tiny(true), 33, ledger, 1, 8), Error);
}

}  // namespace
}  // namespace strata::model
