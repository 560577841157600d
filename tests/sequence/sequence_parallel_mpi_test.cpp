// Layout independence (DESIGN.md rule 1) for Ulysses sequence parallelism:
// sp 2 (np 2), sp 4 and sp 2 x dp 2 under ZeRO-2 (np 4) follow the one-rank
// trajectory of the same global batch for 20 steps, and the sp group's
// all-to-all volume is 4·B·T·E/SP elements per layer per forward.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "comm/topology/process_topology.hpp"
#include "core/error.hpp"
#include "sequence/ulysses_attention.hpp"
// The ZeRO tests' global batches and trajectory bookkeeping.
#include "../zero/zero_test_support.hpp"

namespace strata::sequence {
namespace {

using zero::testing::global_rows;
using zero::testing::kGlobalBatch;
using zero::testing::kRealVocab;
using zero::testing::relative;
using zero::testing::Trajectory;

// n_head and the sequence both divide by 4.
model::GptShape sp_shape() { return model::GptShape{2, 4, 32, 16, 64, true}; }

// One rank's engine in a TP=1 x SP x DP layout of the world.
struct Layout {
  comm::CommLedger ledger;
  comm::ProcessTopology topology;
  comm::Communicator dp_sp, sp;
  MemoryLedger memory;
  std::unique_ptr<engine::GptEngine> engine;

  Layout(int sp_size, const zero::ZeroOptions& zero, MPI_Comm world, int checkpointed = 0)
      : topology(world, comm::ParallelSizes{1, sp_size, 1, 1}),
        dp_sp(topology.comm(comm::Group::dp_sp), "dp", &ledger, std::chrono::seconds(60)),
        sp(topology.comm(comm::Group::sp), "sp", &ledger, std::chrono::seconds(60)) {
    engine = std::make_unique<engine::GptEngine>(sp_shape(), kRealVocab, micro(),
                                                 sp_shape().block_size, zero, dp_sp, memory,
                                                 engine::EngineOptions{&sp, checkpointed});
    engine->store().initialize(1234);
  }
  int replicas() const { return topology.size(comm::Group::dp); }
  int micro() const { return kGlobalBatch / replicas(); }
  // This replica's rows of `step`: every SP rank of it is handed the same.
  io::TokenBatch rows(std::int64_t step) const {
    return global_rows(step, topology.rank(comm::Group::dp) * micro(), micro(),
                       sp_shape().block_size);
  }
};

// As StepExecutor: weight 1/(global tokens) per position, the loss averaged
// over DP x SP, the norm and the update from the ZeRO partitions.
Trajectory train(Layout& layout, int steps) {
  const int T = sp_shape().block_size;
  const float dloss = 1.0f / static_cast<float>(kGlobalBatch * T);
  const kernels::AdamWHyper hyper{3e-3, 0.9, 0.95, 1e-8, 0.1};
  auto& engine = *layout.engine;
  Trajectory trajectory;
  for (int step = 0; step < steps; ++step) {
    layout.ledger.begin_step(step);
    engine.store().zero_grads();
    double loss = engine.forward_backward(layout.rows(step), dloss);
    loss = layout.dp_sp.all_reduce_sum(loss) / layout.dp_sp.size();
    const double norm = engine.grad_norm();
    engine.adamw_step(step + 1, hyper, kernels::clip_coefficient(norm, 1.0));
    trajectory.losses.push_back(loss);
    trajectory.norms.push_back(norm);
  }
  return trajectory;
}

Trajectory one_rank() {
  Layout layout(1, zero::ZeroOptions{}, MPI_COMM_SELF);
  return train(layout, 20);
}

void expect_same(const Trajectory& got, const Trajectory& want, const std::string& what) {
  ASSERT_EQ(got.losses.size(), want.losses.size());
  for (std::size_t s = 0; s < want.losses.size(); ++s) {
    EXPECT_LE(relative(got.losses[s], want.losses[s]), 1e-5)
        << what << " step " << s << ": loss " << got.losses[s] << " vs one rank " << want.losses[s];
    EXPECT_LE(relative(got.norms[s], want.norms[s]), 1e-4)
        << what << " step " << s << ": grad norm " << got.norms[s] << " vs one rank "
        << want.norms[s];
  }
}

int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

TEST(SequenceParallel, EveryRankOfTheWorldAsSpFollowsTheOneRankTrajectory) {
  const Trajectory reference = one_rank();
  Layout layout(world_size(), zero::ZeroOptions{}, MPI_COMM_WORLD);
  const Trajectory got = train(layout, 20);
  expect_same(got, reference, "sp " + std::to_string(world_size()));
  EXPECT_LT(got.losses.back(), 0.8 * got.losses.front());
}

// np 4: sp 2 x dp 2; np 2: sp 2 with its two ranks as the ZeRO-2 group.
TEST(SequenceParallel, SpTwoTimesDataParallelUnderZeroTwoFollowsTheOneRankTrajectory) {
  const Trajectory reference = one_rank();
  zero::ZeroOptions zero;
  zero.stage = 2;
  zero.reduce_bucket_size = 6000;
  Layout layout(2, zero, MPI_COMM_WORLD);
  ASSERT_EQ(layout.replicas(), world_size() / 2);
  expect_same(train(layout, 20), reference,
              "sp 2 x dp " + std::to_string(layout.replicas()) + ", ZeRO-2");
}

// 4·B·T·E/SP per layer per forward: q, k, v (3E columns) to head-split and
// the output (E) back, each all-to-all moving the rank's B·T/SP rows.
TEST(SequenceParallel, AllToAllVolumeFollowsTheFormula) {
  for (int sp : {2, world_size()}) {
    Layout layout(sp, zero::ZeroOptions{}, MPI_COMM_WORLD);
    const auto shape = sp_shape();
    const std::int64_t B = layout.micro(), T = shape.block_size, E = shape.n_embd;
    const std::int64_t per_forward = shape.n_layer * 4 * B * T * E / sp * 4;  // bytes
    layout.ledger.begin_step(0);
    layout.engine->loss(layout.rows(0));
    const auto forward = layout.ledger.step_total(0, "sp", comm::CommOp::all_to_all);
    EXPECT_EQ(forward.payload_bytes, per_forward) << "sp " << sp;
    EXPECT_EQ(forward.calls, 2 * shape.n_layer) << "sp " << sp;
    // A training step: the forward's exchanges and their conjugates.
    layout.ledger.begin_step(1);
    layout.engine->forward_backward(layout.rows(1), 1.0f / (kGlobalBatch * T));
    EXPECT_EQ(layout.ledger.step_total(1, "sp", comm::CommOp::all_to_all).payload_bytes,
              2 * per_forward)
        << "sp " << sp;
    // Nothing of it crosses the data-parallel group.
    EXPECT_EQ(layout.ledger.step_total(1, "dp", comm::CommOp::all_to_all).calls, 0);
  }
}

// docs/activation_checkpointing.md's formula over a rank's N = B·T/SP rows:
// a block saves 16·N·C + 4·N floats (its output among them) and its core the
// head-split q|k|v and output, 4·B·T·C/SP = 4·N·C floats, plus the
// attention's own saved floats. k checkpointed blocks keep their outputs and
// share one set of the rest, the cores' included.
TEST(SequenceParallel, LedgerActivationBytesFollowTheFormula) {
  const auto shape = sp_shape();
  for (int sp : {2, world_size()}) {
    const std::uint64_t L = static_cast<std::uint64_t>(shape.n_layer), C = shape.n_embd,
                        V = shape.vocab_size;
    for (std::uint64_t k : {std::uint64_t{0}, std::uint64_t{1}, L}) {
      Layout layout(sp, zero::ZeroOptions{}, MPI_COMM_WORLD, static_cast<int>(k));
      const auto B = static_cast<std::uint64_t>(layout.micro());
      const std::uint64_t N = B * shape.block_size / static_cast<std::uint64_t>(sp);
      const auto heads = kernels::plan_attention(static_cast<int>(B), shape.block_size,
                                                 shape.n_embd / sp, shape.n_head / sp);
      const std::uint64_t S = 16 * N * C + 1 + 4 * N;
      const std::uint64_t U = 4 * N * C + std::max<std::uint64_t>(heads.saved_floats, 1);
      const std::uint64_t others = N * C + (N * C + 2 * N + N * V + N);
      const std::uint64_t shared = k > 0 ? S - N * C + U : 0;
      EXPECT_EQ(layout.memory.usage(MemoryCategory::activation, MemoryTier::device).peak,
                4 * (others + (L - k) * (S + U) + k * N * C + shared))
          << k << " of " << L << " blocks checkpointed, sp " << sp;
    }
  }
}

TEST(SequenceParallel, HeadsOrSequenceNotDividedBySpAreInputErrors) {
  auto message = [](int sp, model::GptShape shape, int seq) {
    try {
      check_sequence_parallel(sp, shape, seq);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  model::GptShape six_heads{2, 6, 48, 16, 64, true};
  const std::string heads = message(4, six_heads, 16);
  EXPECT_NE(heads.find("[parallel] sp: = 4 does not divide [model] n_head = 6"), std::string::npos)
      << heads;
  const std::string seq = message(4, sp_shape(), 18);
  EXPECT_NE(seq.find("[parallel] sp: = 4 does not divide the sequence length"), std::string::npos)
      << seq;
  EXPECT_NE(seq.find("18"), std::string::npos) << seq;
  EXPECT_EQ(message(4, sp_shape(), 16), "no error");
}

}  // namespace
}  // namespace strata::sequence
