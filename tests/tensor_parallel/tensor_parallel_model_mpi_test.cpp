// The whole GPT model under tensor parallelism (np 1, 2, 4) against the
// one-rank model, both driven through the Layer interface with parameter
// buffers the test owns, initialised from the same seed (a TP piece from its
// logical indices): the loss on every rank, every gradient equal to its
// TensorSplit slice of the one-rank gradient (the replicated LayerNorms,
// wpe and c_proj biases whole, the same on every rank), and the ledger's
// collectives, layer by layer, against Megatron's count.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../support/layer_views.hpp"
#include "../support/mpi_world.hpp"
#include "comm/comm_ledger.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "core/memory_ledger.hpp"
#include "kernels/attention.hpp"
#include "model/gpt_model.hpp"
#include "tp_test_support.hpp"

namespace strata::tensor_parallel {
namespace {

using strata::testing::world_rank;
using strata::testing::world_size;

constexpr int kBatch = 2, kSeq = 8, kRealVocab = 61;
constexpr std::int64_t kRows = kBatch * kSeq;

model::GptShape shape() { return model::GptShape{2, 4, 32, 16, 64, true}; }

// One parameter and one gradient buffer per spec, as a minimal engine.
struct ModelRun {
  MemoryLedger ledger;
  model::GptModel model;
  std::vector<model::ParamSpec> specs;
  std::vector<kernels::VectorF> params, grads;
  model::StepContext ctx;
  kernels::MatrixF dres{"dres", kRows, static_cast<std::size_t>(shape().n_embd)};

  ModelRun(const model::ModelOptions& options, int checkpointed = 0)
      : model(shape(), kRealVocab, ledger, kBatch, kSeq, with_checkpoints(options, checkpointed)),
        specs(model.params()) {
    for (const auto& spec : specs) {
      params.emplace_back(spec.name, model::local_numel(spec));
      grads.emplace_back(spec.name + ".grad", model::local_numel(spec));
      model::initialize_local_slice(spec, 11, 0, model::local_numel(spec), params.back().data());
      perturb(spec, params.back().data());
    }
    ctx.batch = kBatch;
    ctx.seq = kSeq;
    ctx.tokens = decltype(ctx.tokens)("tokens", kRows);
    ctx.targets = decltype(ctx.targets)("targets", kRows);
    for (int n = 0; n < kRows; ++n) {
      ctx.tokens(n) = (n * 7 + 3) % kRealVocab;
      ctx.targets(n) = (n * 13 + 5) % kRealVocab;
    }
  }
  // GPT-2 starts biases at 0 and gains at 1, which would hide a bias added
  // on every TP rank: every element moves by a function of its logical index.
  static void perturb(const model::ParamSpec& spec, float* local) {
    const double salt = static_cast<double>(spec.name.size());
    for (const auto& run : model::local_runs(spec, 0, model::local_numel(spec)))
      for (std::int64_t k = 0; k < run.count; ++k)
        local[run.local_begin + k] += static_cast<float>(
            0.05 * std::sin(salt + 0.7 * static_cast<double>(run.logical_begin + k)));
  }
  static model::ModelOptions with_checkpoints(model::ModelOptions options, int blocks) {
    options.checkpointed_blocks = blocks;
    return options;
  }
  model::ParamViews views(const model::Layer& layer, bool grad) const {
    return testing::layer_views(layer, specs, grad ? grads : params);
  }
  // Forward with the loss gradient folded in, then backward; returns the loss.
  double forward(const std::function<void(std::size_t)>& after_layer = {}) {
    ctx.training = true;
    ctx.dloss = 1.0f / kRows;
    kernels::ConstMatrixF x;
    const auto& layers = model.layers();
    for (std::size_t i = 0; i < layers.size(); ++i) {
      x = layers[i]->forward(ctx, views(*layers[i], false), x);
      if (after_layer) after_layer(i);
    }
    return ctx.loss;
  }
  void backward(const std::function<void(std::size_t)>& after_layer = {}) {
    const auto& layers = model.layers();
    for (std::size_t i = layers.size(); i-- > 0;) {
      const auto w = views(*layers[i], false);
      if (layers[i]->checkpointed()) layers[i]->recompute(ctx, w);
      layers[i]->backward(ctx, w, views(*layers[i], true), dres);
      if (after_layer) after_layer(i);
    }
  }
};

std::vector<float> to_host(const kernels::VectorF& v) {
  std::vector<float> out(v.extent(0));
  Kokkos::deep_copy(Kokkos::View<float*, Kokkos::HostSpace>(out.data(), out.size()), v);
  return out;
}

void expect_tp_equals_one_rank(int checkpointed) {
  ModelRun one(model::ModelOptions{});
  const double want = one.forward();
  one.backward();

  comm::CommLedger comm_ledger;
  comm::Communicator tp(MPI_COMM_WORLD, "tp", &comm_ledger, std::chrono::seconds(60));
  model::ModelOptions options;
  options.tp = &tp;
  ModelRun run(options, checkpointed);
  const double got = run.forward();
  run.backward();

  EXPECT_NEAR(got, want, 1e-5 * want) << "loss on rank " << world_rank();
  ASSERT_EQ(run.specs.size(), one.specs.size());
  for (std::size_t i = 0; i < run.specs.size(); ++i) {
    const auto& spec = run.specs[i];
    const auto whole = to_host(one.grads[i]);
    EXPECT_EQ(spec.split.has_value(), world_size() > 1 && spec.name != "wpe.weight" &&
                                          spec.name.find("ln_") == std::string::npos &&
                                          spec.name.find("c_proj.bias") == std::string::npos)
        << spec.name;
    const auto expected = spec.split ? slice(whole, spec.shape, *spec.split) : whole;
    expect_close(to_host(run.grads[i]), expected, spec.name.c_str(), world_rank());
  }
}

TEST(TensorParallelModel, GradientsAreTheOneRankGradientsSlices) { expect_tp_equals_one_rank(0); }

TEST(TensorParallelModel, CheckpointedBlocksRecomputeTheSameGradients) {
  expect_tp_equals_one_rank(static_cast<int>(shape().n_layer));
}

// Per layer, as Megatron's analysis says: the embedding's g (N·C), each
// block's two g forward and two f backward (N·C each), the vocabulary-
// parallel loss's max and sums (N and 2N), the head's f backward (N·C).
TEST(TensorParallelModel, LedgerShowsTwoAllReducesEachWayPerBlock) {
  comm::CommLedger comm_ledger;
  comm::Communicator tp(MPI_COMM_WORLD, "tp", &comm_ledger, std::chrono::seconds(60));
  model::ModelOptions options;
  options.tp = &tp;
  ModelRun run(options);
  const std::int64_t C = shape().n_embd, block_bytes = kRows * C * 4;
  const int blocks = shape().n_layer, layers = blocks + 2;
  std::vector<comm::CommCount> forward(layers), backward(layers);
  comm::CommCount before;
  auto delta = [&](std::vector<comm::CommCount>& into) {
    return [&, into_ptr = &into](std::size_t layer) {
      const comm::CommCount now = comm_ledger.total("tp", comm::CommOp::all_reduce);
      (*into_ptr)[layer] = {now.calls - before.calls, now.payload_bytes - before.payload_bytes,
                            now.wire_bytes - before.wire_bytes};
      before = now;
    };
  };
  run.forward(delta(forward));
  run.backward(delta(backward));
  if (world_size() == 1) {
    EXPECT_EQ(comm_ledger.total("tp", comm::CommOp::all_reduce).calls, 0) << "one rank: none";
    return;
  }
  EXPECT_EQ(forward[0].calls, 1);
  EXPECT_EQ(forward[0].payload_bytes, block_bytes);
  EXPECT_EQ(backward[0].calls, 0) << "the embedding's input is the tokens";
  for (int l = 1; l <= blocks; ++l) {
    EXPECT_EQ(forward[l].calls, 2) << "block " << l - 1;
    EXPECT_EQ(forward[l].payload_bytes, 2 * block_bytes);
    EXPECT_EQ(backward[l].calls, 2) << "block " << l - 1;
    EXPECT_EQ(backward[l].payload_bytes, 2 * block_bytes);
  }
  EXPECT_EQ(forward[layers - 1].calls, 2) << "row max, then exp sums with target logits";
  EXPECT_EQ(forward[layers - 1].payload_bytes, 3 * kRows * 4);
  EXPECT_EQ(backward[layers - 1].calls, 1);
  EXPECT_EQ(backward[layers - 1].payload_bytes, block_bytes);
}

// docs/activation_checkpointing.md's formula with the interiors a t-th wide:
// a block saves ln_1, residual_2, ln_2 and its output [N, C], the attention
// output [N, C/t], qkv [N, 3C/t], fc and gelu [N, 4C/t], the rank's heads'
// attention floats and the LayerNorm statistics [4N]; the embedding its
// output; the final layer ln_f, its statistics, the rank's logit block
// [N, V/t] and the losses. k checkpointed blocks keep their outputs and
// share one set of the rest.
TEST(TensorParallelModel, LedgerActivationBytesFollowTheFormula) {
  comm::Communicator tp(MPI_COMM_WORLD, "tp", nullptr, std::chrono::seconds(60));
  model::ModelOptions options;
  options.tp = &tp;
  const auto s = shape();
  const std::uint64_t t = static_cast<std::uint64_t>(world_size()), N = kRows, C = s.n_embd,
                      V = s.vocab_size, L = s.n_layer;
  const auto plan =
      kernels::plan_attention(kBatch, kSeq, s.n_embd / world_size(), s.n_head / world_size());
  const std::uint64_t S = 4 * N * C + 8 * N * C / t + 4 * N * C / t +
                          std::max<std::uint64_t>(plan.saved_floats, 1) + 4 * N;
  const std::uint64_t others = N * C + (N * C + 2 * N + N * V / t + N);
  for (std::uint64_t k : {std::uint64_t{0}, std::uint64_t{1}, L}) {
    ModelRun run(options, static_cast<int>(k));
    const std::uint64_t shared = k > 0 ? S - N * C : 0;
    EXPECT_EQ(run.ledger.usage(MemoryCategory::activation, MemoryTier::device).peak,
              4 * (others + (L - k) * S + k * N * C + shared))
        << k << " of " << L << " blocks checkpointed, tp " << t;
  }
}

TEST(TensorParallelModel, TpMustDivideHeadsAndVocabulary) {
  if (world_size() == 1) return;  // one rank holds every head of any count
  comm::Communicator tp(MPI_COMM_WORLD, "tp", nullptr, std::chrono::seconds(60));
  model::ModelOptions options;
  options.tp = &tp;
  MemoryLedger ledger;
  auto message = [&](model::GptShape s) {
    try {
      model::GptModel model(s, 30, ledger, 1, 4, options);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const int heads = world_size() + 1;  // 3 heads over 2 ranks, 5 over 4
  const std::string heads_error = message(model::GptShape{1, heads, 8 * heads, 8, 64, true});
  EXPECT_NE(heads_error.find("[parallel] tp"), std::string::npos) << heads_error;
  EXPECT_NE(heads_error.find("= " + std::to_string(world_size()) +
                             " does not divide [model] n_head = " + std::to_string(heads)),
            std::string::npos)
      << heads_error;
  const std::string vocab_error = message(model::GptShape{1, 4, 32, 8, 65, true});
  EXPECT_NE(vocab_error.find("vocab_size"), std::string::npos) << vocab_error;
  EXPECT_NE(vocab_error.find("pad"), std::string::npos) << vocab_error;
}

}  // namespace
}  // namespace strata::tensor_parallel
