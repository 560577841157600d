// The sequence <-> head all-to-all at np 2 and 4 against matrices written
// down directly from the layout's definition: rank r holds positions
// r·T/SP … of every sample and all heads before, every position of heads
// r·NH/SP … after; and the exchange's volume in the CommLedger.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <vector>

#include "comm/communicator.hpp"
#include "core/error.hpp"
#include "sequence/ulysses_layout.hpp"

namespace strata::sequence {
namespace {

// A value that names its sample, global position and global column, so any
// misplaced element is caught (exact in fp32: below 2^24).
float value(int b, int position, int column) {
  return static_cast<float>(b * 100000 + position * 1000 + column);
}

struct Exchange {
  comm::CommLedger ledger;
  comm::Communicator sp{MPI_COMM_WORLD, "sp", &ledger, std::chrono::seconds(60)};
};

class UlyssesLayoutTest : public ::testing::TestWithParam<int> {};

TEST_P(UlyssesLayoutTest, SequenceSplitBecomesHeadSplitAndBack) {
  Exchange ex;
  const int sp = ex.sp.size(), rank = ex.sp.rank();
  const UlyssesLayout layout{2, 4 * sp, sp, 2 * sp, GetParam()};
  const int C = layout.columns, cs = C / sp, parts = layout.parts, T = layout.seq;
  const int local = T / sp, B = layout.batch;

  kernels::MatrixF sequence("sequence", layout.sequence_rows(), parts * C);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < local; ++t)
      for (int c = 0; c < parts * C; ++c)
        sequence(b * local + t, c) = value(b, rank * local + t, c);
  kernels::MatrixF heads("heads", layout.head_rows(), parts * cs);
  std::vector<float> send(static_cast<std::size_t>(layout.buffer_elements()));
  std::vector<float> recv(send.size());
  sequence_to_heads(ex.sp, layout, sequence, heads, send.data(), recv.data());
  Kokkos::fence();
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int p = 0; p < parts; ++p)
        for (int j = 0; j < cs; ++j)
          ASSERT_EQ(heads(b * T + t, p * cs + j), value(b, t, p * C + rank * cs + j))
              << "rank " << rank << " sample " << b << " position " << t << " part " << p
              << " column " << j;

  // Back again, into a fresh matrix: the rank's own positions, every column.
  kernels::MatrixF back("back", layout.sequence_rows(), parts * C);
  heads_to_sequence(ex.sp, layout, heads, back, send.data(), recv.data());
  Kokkos::fence();
  for (int row = 0; row < layout.sequence_rows(); ++row)
    for (int c = 0; c < parts * C; ++c)
      ASSERT_EQ(back(row, c), sequence(row, c))
          << "rank " << rank << " row " << row << " col " << c;

  // Two all-to-alls, each of every rank's whole sequence-split matrix.
  const auto count = ex.ledger.total("sp", comm::CommOp::all_to_all);
  EXPECT_EQ(count.calls, 2);
  EXPECT_EQ(count.payload_bytes,
            2 * static_cast<std::int64_t>(sizeof(float)) * B * local * parts * C);
}

TEST(UlyssesLayout, HeadSplitWrittenDirectlyReturnsToTheRanksPositions) {
  Exchange ex;
  const int sp = ex.sp.size(), rank = ex.sp.rank();
  const UlyssesLayout layout{3, 2 * sp, sp, sp, 1};
  const int T = layout.seq, local = T / sp, C = layout.columns, cs = C / sp;
  kernels::MatrixF heads("heads", layout.head_rows(), cs);
  for (int b = 0; b < layout.batch; ++b)
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < cs; ++j) heads(b * T + t, j) = value(b, t, rank * cs + j);
  kernels::MatrixF sequence("sequence", layout.sequence_rows(), C);
  std::vector<float> send(static_cast<std::size_t>(layout.buffer_elements()));
  std::vector<float> recv(send.size());
  heads_to_sequence(ex.sp, layout, heads, sequence, send.data(), recv.data());
  Kokkos::fence();
  for (int b = 0; b < layout.batch; ++b)
    for (int t = 0; t < local; ++t)
      for (int c = 0; c < C; ++c)
        ASSERT_EQ(sequence(b * local + t, c), value(b, rank * local + t, c))
            << "rank " << rank << " sample " << b << " position " << t << " column " << c;
}

TEST(UlyssesLayout, MismatchedBuffersAreRefusedBeforeTheExchange) {
  Exchange ex;
  const int sp = ex.sp.size();
  const UlyssesLayout layout{1, 2 * sp, sp, sp, 3};
  kernels::MatrixF sequence("sequence", layout.sequence_rows(), 3 * layout.columns);
  kernels::MatrixF wrong("heads", layout.head_rows(), 3 * layout.columns);  // not / SP
  std::vector<float> buffer(static_cast<std::size_t>(layout.buffer_elements()));
  EXPECT_THROW(sequence_to_heads(ex.sp, layout, sequence, wrong, buffer.data(), buffer.data()),
               Error);
  EXPECT_EQ(ex.ledger.total("sp").calls, 0);
}

INSTANTIATE_TEST_SUITE_P(Parts, UlyssesLayoutTest, ::testing::Values(1, 3),
                         [](const auto& info) { return "parts" + std::to_string(info.param); });

}  // namespace
}  // namespace strata::sequence
