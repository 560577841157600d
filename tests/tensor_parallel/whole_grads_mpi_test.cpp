// ZeroStore::average_whole_grads over a TP group (np 2, 4): the gradients of
// parameters every TP rank holds whole (LayerNorms, wpe, the c_proj biases)
// become the group's mean, on every rank alike, and the split pieces keep
// their own values; the TP-aware norm counts whole parameters once.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <vector>

#include "../support/mpi_world.hpp"
#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "model/gpt_model.hpp"
#include "zero/zero_store.hpp"

namespace strata::tensor_parallel {
namespace {

TEST(WholeGrads, AveragedOverTheTpGroupSplitPiecesUntouched) {
  const int rank = testing::world_rank(), size = testing::world_size();
  comm::Communicator tp(MPI_COMM_WORLD, "tp", nullptr, std::chrono::seconds(60));
  comm::Communicator dp(MPI_COMM_SELF, "dp", nullptr, std::chrono::seconds(60));
  MemoryLedger ledger;
  model::ModelOptions options;
  options.tp = &tp;
  const model::GptModel model(model::GptShape{2, 4, 32, 16, 64, true}, 61, ledger, 1, 8, options);
  zero::ZeroOptions zero_options;
  zero::ZeroStore store(model.layers(), zero_options, dp, ledger);

  // Rank r writes (r + 1)·(k + 1) into element k of every gradient.
  store.zero_grads();
  store.begin_micro_batch(true);
  const auto& layers = model.layers();
  for (std::size_t i = layers.size(); i-- > 0;) {
    const auto grads = store.acquire_grads(i);
    for (const auto& g : grads)
      for (std::size_t k = 0; k < g.extent(0); ++k) g(k) = static_cast<float>((rank + 1) * (k + 1));
    store.release_grads(i);
  }
  store.finish_backward();
  store.end_pass();
  const double mean_factor = (size + 1) / 2.0;  // mean of 1 .. size
  store.average_whole_grads(tp);

  double split_squares = 0, whole_squares = 0;
  const auto specs = model.params();
  for (std::size_t s = 0; s < specs.size(); ++s) {
    const std::vector<float> grad = store.full_grad(store.index_of(specs[s].name));
    const double factor = specs[s].split ? rank + 1 : mean_factor;
    for (std::size_t k = 0; k < grad.size(); ++k) {
      ASSERT_EQ(grad[k], static_cast<float>(factor * static_cast<double>(k + 1)))
          << specs[s].name << " element " << k << " on rank " << rank;
      (specs[s].split ? split_squares : whole_squares) += static_cast<double>(grad[k]) * grad[k];
    }
  }
  const auto squares = store.grad_squares_by_split();
  EXPECT_NEAR(squares.split, split_squares, 1e-9 * split_squares);
  EXPECT_NEAR(squares.whole, whole_squares, 1e-9 * whole_squares);
}

}  // namespace
}  // namespace strata::tensor_parallel
