// ParamStore layout and initialisation, and the engine's step mechanics:
// AdamW on one fixed batch drives the loss down, grad_accum splits add up
// to the whole batch, and weight decay touches matrices only.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/gpt_engine.hpp"

namespace strata::engine {
namespace {

model::GptShape tiny() { return model::GptShape{2, 2, 16, 8, 32, true}; }

io::TokenBatch make_batch(std::uint64_t rows, std::uint64_t T, int shift) {
  io::TokenBatch batch;
  batch.rows = rows;
  batch.block_size = T;
  for (std::uint64_t n = 0; n < rows * T; ++n) {
    batch.inputs.push_back(static_cast<std::int32_t>((n * 7 + shift) % 29));
    batch.targets.push_back(static_cast<std::int32_t>((n * 7 + shift + 1) % 29));
  }
  return batch;
}

TEST(ParamStore, OffsetsTileTheBufferAndInitMatchesTheSpecs) {
  MemoryLedger ledger;
  ParamStore store(model::gpt_params(tiny()), ledger);
  store.initialize(5);
  EXPECT_EQ(store.total(), model::total_numel(store.specs()));
  EXPECT_EQ(ledger.usage(MemoryCategory::param, MemoryTier::device).current,
            static_cast<std::uint64_t>(store.total()) * 4);
  EXPECT_EQ(ledger.usage(MemoryCategory::optimizer, MemoryTier::device).current,
            static_cast<std::uint64_t>(store.total()) * 8);
  const std::size_t i = store.index_of("h.1.mlp.c_fc.weight");
  std::vector<float> expected(static_cast<std::size_t>(model::numel(store.specs()[i])));
  model::initialize_slice(store.specs()[i], 5, 0, model::numel(store.specs()[i]), expected.data());
  for (std::size_t k = 0; k < expected.size(); ++k) ASSERT_EQ(store.param(i)(k), expected[k]);
  EXPECT_EQ(store.offset(i + 1), store.offset(i) + model::numel(store.specs()[i]));
}

TEST(GptEngine, AdamWOnOneBatchDrivesTheLossDown) {
  MemoryLedger ledger;
  GptEngine engine(tiny(), 29, 2, 8, ledger);
  engine.store().initialize(1);
  const auto batch = make_batch(2, 8, 0);
  const kernels::AdamWHyper hyper{1e-2, 0.9, 0.95, 1e-8, 0.1};
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    engine.store().zero_grads();
    last = engine.forward_backward(batch, 1.0f / 16);
    if (step == 0) first = last;
    engine.adamw_step(step + 1, hyper, 1.0f);
  }
  EXPECT_NEAR(first, std::log(29.0), 0.2);
  EXPECT_LT(last, 0.5 * first);
}

TEST(GptEngine, MicroBatchGradientsAddUpToTheWholeBatch) {
  MemoryLedger ledger_whole, ledger_split;
  GptEngine whole(tiny(), 29, 2, 8, ledger_whole), split(tiny(), 29, 1, 8, ledger_split);
  whole.store().initialize(3);
  split.store().initialize(3);
  auto both = make_batch(2, 8, 4), first = both, second = both;
  first.inputs.resize(8);
  first.targets.resize(8);
  second.inputs.erase(second.inputs.begin(), second.inputs.begin() + 8);
  second.targets.erase(second.targets.begin(), second.targets.begin() + 8);
  whole.store().zero_grads();
  split.store().zero_grads();
  const double loss = whole.forward_backward(both, 1.0f / 16);
  const double halves =
      split.forward_backward(first, 1.0f / 16) + split.forward_backward(second, 1.0f / 16);
  EXPECT_NEAR(loss, halves / 2, 1e-6);
  EXPECT_NEAR(whole.grad_norm(), split.grad_norm(), 1e-5 * whole.grad_norm());
}

TEST(GptEngine, WeightDecayOnlyTouchesMatrices) {
  MemoryLedger ledger;
  GptEngine engine(tiny(), 29, 1, 8, ledger);
  engine.store().initialize(2);
  const auto& store = engine.store();
  Kokkos::deep_copy(store.param(store.index_of("ln_f.bias")), 1.0f);
  const float wte0 = store.param(store.index_of("wte.weight"))(0);
  engine.store().zero_grads();  // zero gradients: only the decay moves anything
  engine.adamw_step(1, kernels::AdamWHyper{0.1, 0.9, 0.95, 1e-8, 0.5}, 1.0f);
  EXPECT_EQ(store.param(store.index_of("ln_f.bias"))(0), 1.0f);
  EXPECT_FLOAT_EQ(store.param(store.index_of("wte.weight"))(0), wte0 * (1.0f - 0.05f));
}

}  // namespace
}  // namespace strata::engine
