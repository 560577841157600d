// The region operators over 1, 2 and 4 ranks: the two sums, the column
// scatter and gather against matrices whose every element names its row
// and column, their round trip, and what each costs in the ledger.
#include "tensor_parallel/regions.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <string>
#include <vector>

#include "tp_test_support.hpp"

namespace strata::tensor_parallel {
namespace {

constexpr std::int64_t kRows = 5, kCols = 12;  // 12 columns split over 1, 2 or 4 ranks

struct Group {
  int rank = 0, size = 1;
  comm::CommLedger ledger;
  comm::Communicator tp;
  Group() : tp(MPI_COMM_WORLD, "tp", &ledger, std::chrono::seconds(60)) {
    rank = tp.rank();
    size = tp.size();
  }
};

std::vector<float> named_elements() {  // element (n, c) = 100·n + c
  std::vector<float> m(kRows * kCols);
  for (std::int64_t n = 0; n < kRows; ++n)
    for (std::int64_t c = 0; c < kCols; ++c) m[n * kCols + c] = static_cast<float>(100 * n + c);
  return m;
}

TEST(Regions, ReduceAndCopySumThePartialsOfEveryRank) {
  Group g;
  const std::vector<float> base = values(kRows * kCols, 0.5, 1.0);
  std::vector<float> mine(base), want(base);
  for (auto& v : mine) v *= static_cast<float>(g.rank + 1);
  for (auto& v : want) v *= static_cast<float>(g.size * (g.size + 1) / 2);
  const auto output = device(mine, kRows, kCols), dinput = device(mine, kRows, kCols);
  reduce_from_region_forward(g.tp, output);
  copy_to_region_backward(g.tp, dinput);
  expect_close(host(output), want, "g forward", g.rank);
  expect_close(host(dinput), want, "f backward", g.rank);
  EXPECT_EQ(g.ledger.total("tp").calls, g.size > 1 ? 2 : 0) << "one-rank groups stay silent";
}

TEST(Regions, ScatterKeepsTheRanksColumnsAndGatherRebuildsTheMatrix) {
  Group g;
  const std::int64_t block = kCols / g.size;
  const std::vector<float> whole = named_elements();
  const auto full = device(whole, kRows, kCols);
  kernels::MatrixF local("local", kRows, block), rebuilt("rebuilt", kRows, kCols);
  scatter_columns(g.tp, full, local);
  const auto got = host(local);
  for (std::int64_t n = 0; n < kRows; ++n)
    for (std::int64_t c = 0; c < block; ++c)
      ASSERT_EQ(got[n * block + c], static_cast<float>(100 * n + block * g.rank + c))
          << "row " << n << " column " << c << " on rank " << g.rank;
  EXPECT_EQ(g.ledger.total("tp").calls, 0) << "scatter is a local copy";

  gather_columns(g.tp, local, rebuilt, kernels::VectorF(std::string("staging"), kRows * kCols));
  EXPECT_EQ(host(rebuilt), whole) << "gather(scatter(x)) = x on rank " << g.rank;
  const comm::CommCount gathers = g.ledger.total("tp", comm::CommOp::all_gather);
  EXPECT_EQ(gathers.calls, 1);
  EXPECT_EQ(gathers.payload_bytes, kRows * kCols * 4);
}

}  // namespace
}  // namespace strata::tensor_parallel
