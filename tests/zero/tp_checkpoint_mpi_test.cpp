// Checkpoints of tensor-parallel ZeroStores under mpirun: the world split
// into tp × dp (TP fastest), a model whose parameters carry every kind of
// TensorSplit beside unsplit ones. A TP checkpoint must be the one-rank
// checkpoint (every dataset the unsplit tensor), and a TP store must load
// exactly its own pieces, Adam moments included, from either.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../support/mpi_world.hpp"
#include "../support/scratch_dir.hpp"
#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "engine/checkpointing.hpp"
#include "zero/zero_store.hpp"

namespace strata::zero {
namespace {

using model::InitRule;
using model::ParamSpec;
using model::TensorSplit;

constexpr std::uint64_t kSeed = 4242;

using strata::testing::world_rank;
using strata::testing::world_size;

// A layer that only declares parameters: the store needs no more to
// place, initialise and checkpoint them.
class SpecLayer final : public model::Layer {
 public:
  SpecLayer(std::string name, std::vector<ParamSpec> specs)
      : name_(std::move(name)), specs_(std::move(specs)) {}
  std::string name() const override { return name_; }
  std::vector<ParamSpec> params() const override { return specs_; }
  kernels::ConstMatrixF forward(model::StepContext&, const model::ParamViews&,
                                const kernels::ConstMatrixF&) override {
    return {};
  }
  void backward(model::StepContext&, const model::ParamViews&, const model::ParamViews&,
                const kernels::MatrixF&) override {}

 private:
  std::string name_;
  std::vector<ParamSpec> specs_;
};

// A one-block GPT's parameters (C = 8) as TP rank `rank` of `ranks` holds
// them; ranks = 0 gives the unsplit model.
std::vector<std::unique_ptr<model::Layer>> tp_model(int rank, int ranks) {
  auto spec = [&](const char* name, std::vector<std::int64_t> shape, InitRule init, int dim,
                  int parts) {
    ParamSpec s{name, std::move(shape), init, 0.02, true, std::nullopt};
    if (ranks > 0 && parts > 0) s.split = TensorSplit{dim, parts, rank, ranks};
    return s;
  };
  const int none = 0;  // parts = 0: unsplit
  std::vector<std::unique_ptr<model::Layer>> layers;
  layers.push_back(std::make_unique<SpecLayer>(
      "embedding", std::vector<ParamSpec>{spec("wte.weight", {32, 8}, InitRule::normal, 0, 1),
                                          spec("wpe.weight", {16, 8}, InitRule::normal, 0, none)}));
  layers.push_back(std::make_unique<SpecLayer>(
      "h.0", std::vector<ParamSpec>{
                 spec("h.0.ln_1.weight", {8}, InitRule::ones, 0, none),
                 spec("h.0.ln_1.bias", {8}, InitRule::normal, 0, none),
                 spec("h.0.attn.c_attn.weight", {24, 8}, InitRule::normal, 0, 3),
                 spec("h.0.attn.c_attn.bias", {24}, InitRule::normal, 0, 3),
                 spec("h.0.attn.c_proj.weight", {8, 8}, InitRule::normal, 1, 1),
                 spec("h.0.attn.c_proj.bias", {8}, InitRule::normal, 0, none),
                 spec("h.0.mlp.c_fc.weight", {32, 8}, InitRule::normal, 0, 1),
                 spec("h.0.mlp.c_fc.bias", {32}, InitRule::normal, 0, 1),
                 spec("h.0.mlp.c_proj.weight", {8, 32}, InitRule::normal, 1, 1),
             }));
  return layers;
}

// Adam moments as a training run would leave them, but a function of the
// tensor and the logical index only, so every layout can compute its part.
float moment(std::size_t tensor, std::uint64_t index, int which) {
  return static_cast<float>(tensor + 1) * (which == 1 ? 0.125f : -0.0625f) +
         0.001953125f * static_cast<float>(index);
}

void set_moments(ZeroStore& store) {
  const auto targets = store.checkpoint_targets();
  for (std::size_t t = 0; t < targets.size(); ++t) {
    std::size_t k = 0;
    for (const io::FlatRun& run : targets[t].slice.runs)
      for (std::uint64_t i = run.offset; i < run.offset + run.count; ++i, ++k) {
        targets[t].exp_avg[k] = moment(t, i, 1);
        targets[t].exp_avg_sq[k] = moment(t, i, 2);
      }
  }
}

// What the store holds of every parameter: its three buffers, by name.
std::map<std::string, std::vector<std::vector<float>>> contents(ZeroStore& store) {
  std::map<std::string, std::vector<std::vector<float>>> out;
  for (const auto& target : store.checkpoint_targets()) {
    const std::size_t n = target.slice.count();
    for (const float* buffer : {target.param, target.exp_avg, target.exp_avg_sq})
      out[target.name].emplace_back(buffer, buffer + n);
  }
  return out;
}

void expect_same(const std::map<std::string, std::vector<std::vector<float>>>& got,
                 const std::map<std::string, std::vector<std::vector<float>>>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (const auto& [name, buffers] : want)
    for (std::size_t which = 0; which < 3; ++which)
      EXPECT_EQ(got.at(name)[which], buffers[which])
          << what << ": " << name << " buffer " << which << " on world rank " << world_rank();
}

struct Layout {
  int tp;
  int dp;
  int stage;
};

// Layouts for the world size: TP over all ranks (ZeRO-0), and tp 2 × dp
// (ZeRO-3, whose partitions cut the TP blocks' runs; the small vectors stay
// in replicated chunks that only DP rank 0 writes).
std::vector<Layout> layouts() {
  const int world = world_size();
  return {{world, 1, 0}, {2, world / 2, 3}};
}

TEST(TensorParallelCheckpoint, EqualsTheOneRankCheckpointAndLoadsItsOwnPieces) {
  testing::SharedScratchDir scratch(MPI_COMM_WORLD, "tp-ckpt");
  const std::string dir = scratch.path();
  MemoryLedger ledger;
  comm::Communicator self(MPI_COMM_SELF, "dp", nullptr, std::chrono::seconds(60));
  const ZeroOptions unsplit_options{};

  // The one-rank model, on every rank alike.
  const auto whole_layers = tp_model(0, 0);
  ZeroStore whole(whole_layers, unsplit_options, self, ledger);
  whole.initialize(kSeed);
  set_moments(whole);
  const auto whole_contents = contents(whole);
  // Its checkpoint, written by world rank 0 alone (every parameter unsplit).
  const std::string one_rank_file = engine::save_checkpoint(
      MPI_COMM_WORLD, whole, dir + "/one-rank", {1, 1, std::nullopt}, kSeed, "", world_rank() == 0);

  for (const Layout& layout : layouts()) {
    SCOPED_TRACE("tp " + std::to_string(layout.tp) + " dp " + std::to_string(layout.dp) +
                 " stage " + std::to_string(layout.stage));
    const int tp_rank = world_rank() % layout.tp, dp_rank = world_rank() / layout.tp;
    MPI_Comm dp_comm;
    MPI_Comm_split(MPI_COMM_WORLD, tp_rank, dp_rank, &dp_comm);
    {
      comm::Communicator dp(dp_comm, "dp", nullptr, std::chrono::seconds(60));
      ZeroOptions options;
      options.stage = layout.stage;
      options.param_persistence_threshold = 16;
      const auto layers = tp_model(tp_rank, layout.tp);
      ZeroStore store(layers, options, dp, ledger);
      store.initialize(kSeed);
      set_moments(store);
      const auto tp_contents = contents(store);
      if (layout.tp > 1) {  // not vacuous: TP blocks are several runs here
        std::size_t most_runs = 0;
        for (const auto& shard : store.checkpoint_shards())
          most_runs = std::max(most_runs, shard.slice.runs.size());
        EXPECT_GT(most_runs, 1u);
      }

      const std::string tp_file =
          engine::save_checkpoint(MPI_COMM_WORLD, store, dir + "/tp" + std::to_string(layout.tp),
                                  {1, 1, std::nullopt}, kSeed, "", tp_rank == 0);

      // Every dataset is the unsplit tensor: a one-rank store loads it whole.
      ZeroStore whole_reader(whole_layers, unsplit_options, self, ledger);
      whole_reader.initialize(kSeed + 1);
      engine::load_checkpoint(MPI_COMM_WORLD, whole_reader, tp_file, kSeed);
      expect_same(contents(whole_reader), whole_contents, "TP checkpoint read whole");

      // A TP store gets back exactly its pieces, from its own checkpoint and
      // from the one-rank one.
      for (const std::string& file : {tp_file, one_rank_file}) {
        ZeroStore reader(layers, options, dp, ledger);
        reader.initialize(kSeed + 1);
        engine::load_checkpoint(MPI_COMM_WORLD, reader, file, kSeed);
        expect_same(contents(reader), tp_contents, "TP store reading " + file);
      }
    }
    MPI_Comm_free(&dp_comm);
  }
}

}  // namespace
}  // namespace strata::zero
