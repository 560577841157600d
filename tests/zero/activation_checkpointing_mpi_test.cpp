// Activation checkpointing changes where activations live, never a value:
// losses, evaluation losses and every gradient are bit-identical with and
// without it, for some and for all blocks, on one rank and under ZeRO-3 on
// the world (where recomputing must not gather anything extra); and the
// ledger's activation bytes follow the formula in
// docs/activation_checkpointing.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/attention.hpp"
#include "zero_test_support.hpp"

namespace strata::zero::testing {
namespace {

// Three blocks, so that "some" (1 or 2 of 3) leaves ordinary blocks after
// checkpointed ones and "all" has three blocks sharing one recompute set.
model::GptShape checkpoint_shape() { return model::GptShape{3, 2, 32, 16, 64, true}; }
constexpr int kSteps = 5;

struct Record {
  std::vector<double> losses, eval_losses;
  std::vector<std::vector<std::vector<float>>> grads;  // [step][spec]
  std::vector<std::string> names;                      // spec names
  comm::CommCount gathers;
  std::int64_t peak_gathered = 0;
};

Record train_recording(MPI_Comm comm, const ZeroOptions& zero, int checkpointed, int accum) {
  comm::CommLedger comm_ledger;
  comm::Communicator dp(comm, "dp", &comm_ledger, std::chrono::seconds(60));
  MemoryLedger ledger;
  const auto shape = checkpoint_shape();
  const int micro = kGlobalBatch / (dp.size() * accum), T = shape.block_size;
  engine::GptEngine engine(shape, kRealVocab, micro, T, zero, dp, ledger,
                           engine::EngineOptions{nullptr, checkpointed});
  EXPECT_EQ(engine.model().checkpointed_blocks(), checkpointed);
  engine.store().initialize(99);
  const float dloss = 1.0f / static_cast<float>(kGlobalBatch * T);
  Record record;
  for (const auto& spec : engine.store().layout().specs()) record.names.push_back(spec.name);
  for (int step = 0; step < kSteps; ++step) {
    comm_ledger.begin_step(step);
    engine.store().zero_grads();
    double loss = 0;
    for (int m = 0; m < accum; ++m)
      loss += engine.forward_backward(global_rows(step, (dp.rank() * accum + m) * micro, micro, T),
                                      dloss, m + 1 == accum);
    record.losses.push_back(loss);
    record.grads.emplace_back();
    for (std::size_t s = 0; s < record.names.size(); ++s)
      record.grads.back().push_back(engine.store().full_grad(s));
    const double norm = engine.grad_norm();
    engine.adamw_step(step + 1, kernels::AdamWHyper{3e-3, 0.9, 0.95, 1e-8, 0.1},
                      kernels::clip_coefficient(norm, 1.0));
    // A forward-only pass between steps also writes the shared set.
    record.eval_losses.push_back(engine.loss(global_rows(100 + step, dp.rank() * micro, micro, T)));
  }
  record.gathers = comm_ledger.total("dp", comm::CommOp::all_gather);
  record.peak_gathered = engine.store().peak_gathered();
  return record;
}

std::uint64_t bits(double value) {
  std::uint64_t out;
  std::memcpy(&out, &value, sizeof out);
  return out;
}

// Index of the first element whose bits differ, or -1.
long first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
  return -1;
}

void expect_identical(const Record& got, const Record& want, const std::string& what) {
  ASSERT_EQ(got.losses.size(), want.losses.size());
  for (std::size_t step = 0; step < want.losses.size(); ++step) {
    EXPECT_EQ(bits(got.losses[step]), bits(want.losses[step]))
        << what << " step " << step << ": loss " << got.losses[step] << " vs " << want.losses[step];
    EXPECT_EQ(bits(got.eval_losses[step]), bits(want.eval_losses[step]))
        << what << " step " << step << ": eval loss";
    for (std::size_t s = 0; s < want.names.size(); ++s) {
      const long at = first_difference(got.grads[step][s], want.grads[step][s]);
      EXPECT_EQ(at, -1) << what << " step " << step << ": gradient of " << want.names[s]
                        << " differs at element " << at;
    }
  }
}

ZeroOptions stage(int number, DType dtype) {
  ZeroOptions zero;
  zero.stage = number;
  zero.dtype = dtype;
  zero.reduce_bucket_size = 6000;
  zero.overlap_comm = true;
  zero.param_persistence_threshold = 100;  // gathered and persistent chunks
  zero.prefetch_bucket_size = 20000;
  return zero;
}

TEST(ActivationCheckpointing, OneRankLossesAndGradientsAreBitIdentical) {
  const ZeroOptions zero = stage(0, DType::fp32);
  const Record plain = train_recording(MPI_COMM_SELF, zero, 0, 1);
  // The loss must move, or equal trajectories would prove little.
  EXPECT_NE(bits(plain.losses.front()), bits(plain.losses.back()));
  for (int blocks : {1, 2, 3})
    expect_identical(train_recording(MPI_COMM_SELF, zero, blocks, 1), plain,
                     "one rank, " + std::to_string(blocks) + " of 3 blocks checkpointed");
}

TEST(ActivationCheckpointing, ZeroStage3OnTheWorldIsBitIdenticalAndGathersNothingMore) {
  for (DType dtype : {DType::fp32, DType::bf16})
    for (int accum : {1, 2}) {
      const ZeroOptions zero = stage(3, dtype);
      const Record plain = train_recording(MPI_COMM_WORLD, zero, 0, accum);
      for (int blocks : {2, 3}) {
        int np = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &np);
        const std::string what = "np " + std::to_string(np) + " ZeRO-3 " +
                                 std::string(name(dtype)) + " grad_accum " + std::to_string(accum) +
                                 ", " + std::to_string(blocks) + " of 3 blocks checkpointed";
        const Record checkpointed = train_recording(MPI_COMM_WORLD, zero, blocks, accum);
        expect_identical(checkpointed, plain, what);
        // The recompute runs on the parameters acquired for backward.
        EXPECT_EQ(checkpointed.gathers.calls, plain.gathers.calls) << what;
        EXPECT_EQ(checkpointed.gathers.payload_bytes, plain.gathers.payload_bytes) << what;
        EXPECT_EQ(checkpointed.peak_gathered, plain.peak_gathered) << what;
      }
    }
}

// Peak activation bytes of an engine with `checkpointed` of shape.n_layer
// blocks checkpointed, after two training steps.
std::uint64_t peak_activation_bytes(const model::GptShape& shape, int batch, int checkpointed) {
  comm::Communicator self(MPI_COMM_SELF, "dp", nullptr, std::chrono::seconds(60));
  MemoryLedger ledger;
  engine::GptEngine engine(shape, kRealVocab, batch, shape.block_size, stage(0, DType::fp32), self,
                           ledger, engine::EngineOptions{nullptr, checkpointed});
  engine.store().initialize(5);
  for (int step = 0; step < 2; ++step) {
    engine.store().zero_grads();
    engine.forward_backward(global_rows(step, 0, batch, shape.block_size), 1e-3f);
    engine.adamw_step(step + 1, kernels::AdamWHyper{1e-3, 0.9, 0.95, 1e-8, 0.1}, 1.0f);
  }
  return ledger.usage(MemoryCategory::activation, MemoryTier::device).peak;
}

TEST(ActivationCheckpointing, LedgerActivationBytesFollowTheFormula) {
  const auto shape = checkpoint_shape();
  const int B = 2;
  const std::uint64_t L = static_cast<std::uint64_t>(shape.n_layer);
  const std::uint64_t N = static_cast<std::uint64_t>(B) * shape.block_size, C = shape.n_embd,
                      V = shape.vocab_size;
  const auto plan = kernels::plan_attention(B, shape.block_size, shape.n_embd, shape.n_head);
  // One block's saved floats: ln_1, attention out, residual_2, ln_2 and the
  // output [N, C] each, qkv [N, 3C], fc and gelu [N, 4C] each: 16·N·C; the
  // attention's saved floats; mean and rstd of both LayerNorms: 4·N.
  const std::uint64_t S = 16 * N * C + std::max<std::uint64_t>(plan.saved_floats, 1) + 4 * N;
  // The other layers: the embedding's output [N, C]; ln_f's output, mean
  // and rstd, the logits [N, V] and the per-row losses.
  const std::uint64_t others = N * C + (N * C + 2 * N + N * V + N);
  for (std::uint64_t k : {0u, 1u, 2u, 3u}) {
    const std::uint64_t shared = k > 0 ? S - N * C : 0;
    const std::uint64_t expected = 4 * (others + (L - k) * S + k * N * C + shared);
    EXPECT_EQ(peak_activation_bytes(shape, B, static_cast<int>(k)), expected)
        << k << " of " << L << " blocks checkpointed";
  }
}

}  // namespace
}  // namespace strata::zero::testing
