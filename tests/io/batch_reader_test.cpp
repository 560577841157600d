// The batch reader under 1, 2 and 4 ranks: whatever the DP/micro-batch split
// of the same global batch, the union of what the ranks read is what one
// rank reading alone gets, and every row is the file's tokens.
#include <gtest/gtest.h>
#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "io/batch_reader.hpp"
#include "io_test_support.hpp"

namespace strata::io {
namespace {

constexpr std::uint64_t kBlock = 16;
constexpr std::uint64_t kGlobal = 8;

struct World {
  int rank = 0, size = 1;
  World() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
};

class BatchReading : public ::testing::Test {
 protected:
  // Rank 0 writes n tokens (the last n - train of them val); all ranks open.
  std::string write(const std::string& name, std::uint64_t n, std::uint64_t train,
                    std::uint64_t vocab) {
    const std::string path = scratch_.path() + "/" + name;
    if (world_.rank == 0)
      write_token_file(path, testing::pattern_tokens(n, vocab),
                       testing::test_info(n, train, vocab));
    MPI_Barrier(MPI_COMM_WORLD);
    return path;
  }

  // Every row must be the file's tokens at its offset, shifted by one for y.
  static void expect_matches_file(const TokenBatch& batch,
                                  const std::vector<std::uint32_t>& tokens) {
    for (std::uint64_t r = 0; r < batch.rows; ++r)
      for (std::uint64_t t = 0; t < batch.block_size; ++t) {
        ASSERT_EQ(batch.input(r, t), static_cast<std::int32_t>(tokens[batch.offsets[r] + t]));
        ASSERT_EQ(batch.target(r, t), static_cast<std::int32_t>(tokens[batch.offsets[r] + t + 1]));
      }
  }

  World world_;
  testing::SharedScratchDir scratch_{MPI_COMM_WORLD, "batch"};
};

// Gathers (sample index, inputs, targets) rows of every rank onto rank 0,
// keyed by sample index; a sample read twice fails the test.
std::map<std::uint64_t, std::vector<std::int32_t>> gather_rows(
    const std::vector<TokenBatch>& mine) {
  std::vector<std::int64_t> packed;
  for (const TokenBatch& batch : mine)
    for (std::uint64_t r = 0; r < batch.rows; ++r) {
      packed.push_back(static_cast<std::int64_t>(batch.samples[r]));
      for (std::uint64_t t = 0; t < batch.block_size; ++t) packed.push_back(batch.input(r, t));
      for (std::uint64_t t = 0; t < batch.block_size; ++t) packed.push_back(batch.target(r, t));
    }
  World world;
  int count = static_cast<int>(packed.size());
  std::vector<int> counts(world.size), displs(world.size);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < world.size; ++r) displs[r] = std::exchange(total, total + counts[r]);
  std::vector<std::int64_t> all(world.rank == 0 ? total : 0);
  MPI_Gatherv(packed.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(),
              MPI_INT64_T, 0, MPI_COMM_WORLD);
  std::map<std::uint64_t, std::vector<std::int32_t>> rows;
  const std::size_t row_size = 1 + 2 * kBlock;
  for (std::size_t at = 0; at + row_size <= all.size(); at += row_size) {
    const auto sample = static_cast<std::uint64_t>(all[at]);
    EXPECT_EQ(rows.count(sample), 0u) << "sample " << sample << " read twice";
    rows[sample].assign(all.begin() + static_cast<long>(at) + 1,
                        all.begin() + static_cast<long>(at + row_size));
  }
  return rows;
}

TEST_F(BatchReading, UnionOverRanksEqualsOneRankReaderForEverySplitOfG) {
  const std::uint64_t n = 5000;
  const std::string path = write("union.h5", n, 4500, 1000);
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, path, {});
  const auto dp = static_cast<std::uint64_t>(world_.size);
  for (std::uint64_t micro = 1; micro <= kGlobal / dp; ++micro) {
    if (kGlobal % (dp * micro) != 0) continue;
    const BatchLayout layout{micro, kGlobal / (dp * micro), dp};
    ASSERT_EQ(layout.global_batch(), kGlobal);
    const BatchReader reader(data, layout, kBlock, 1234);
    for (const TokenSplit split : {TokenSplit::train, TokenSplit::val})
      for (const std::uint64_t step : {0ull, 1ull, 977ull}) {
        std::vector<TokenBatch> mine;
        for (std::uint64_t m = 0; m < layout.grad_accum; ++m)
          mine.push_back(reader.micro_batch(split, step, world_.rank, m));
        const TokenBatch whole_rank = reader.rank_batch(split, step, world_.rank);
        for (std::uint64_t m = 0; m < layout.grad_accum; ++m)
          for (std::uint64_t i = 0; i < micro * kBlock; ++i)
            ASSERT_EQ(whole_rank.inputs[m * micro * kBlock + i], mine[m].inputs[i]);
        const auto rows = gather_rows(mine);
        if (world_.rank != 0) continue;
        // The one-rank reference: its own file handle on MPI_COMM_SELF, one
        // rank owning the whole global batch.
        const TokenDataset alone = TokenDataset::open(MPI_COMM_SELF, path, {});
        const BatchReader single(alone, BatchLayout{kGlobal, 1, 1}, kBlock, 1234);
        const TokenBatch expected = single.read_samples(split, step, {0, kGlobal});
        ASSERT_EQ(rows.size(), kGlobal) << "micro " << micro;
        for (std::uint64_t s = 0; s < kGlobal; ++s) {
          const auto& row = rows.at(s);
          for (std::uint64_t t = 0; t < kBlock; ++t) {
            ASSERT_EQ(row[t], expected.input(s, t)) << "sample " << s << " micro " << micro;
            ASSERT_EQ(row[kBlock + t], expected.target(s, t));
          }
        }
      }
  }
}

TEST_F(BatchReading, SameSeedAndStepSameBatchOtherStepOrSeedOther) {
  const std::string path = write("determinism.h5", 20000, 18000, 1000);
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, path, {});
  const BatchLayout layout{2, 2, static_cast<std::uint64_t>(world_.size)};
  const BatchReader reader(data, layout, kBlock, 42);
  const BatchReader again(data, layout, kBlock, 42);
  const BatchReader other_seed(data, layout, kBlock, 43);
  const TokenBatch a = reader.rank_batch(TokenSplit::train, 5, world_.rank);
  EXPECT_EQ(a.inputs, again.rank_batch(TokenSplit::train, 5, world_.rank).inputs);
  EXPECT_EQ(a.offsets, reader.rank_batch(TokenSplit::train, 5, world_.rank).offsets);
  EXPECT_NE(a.offsets, reader.rank_batch(TokenSplit::train, 6, world_.rank).offsets);
  EXPECT_NE(a.offsets, other_seed.rank_batch(TokenSplit::train, 5, world_.rank).offsets);
  EXPECT_NE(a.inputs, reader.rank_batch(TokenSplit::train, 6, world_.rank).inputs);
}

TEST_F(BatchReading, SplitsStayInsideTheirTokensAndMatchTheFile) {
  const std::uint64_t n = 3000, train = 2700;
  const std::string path = write("splits.h5", n, train, 70000);  // uint32 storage
  const auto tokens = testing::pattern_tokens(n, 70000);
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, path, {});
  const BatchReader reader(data, BatchLayout{4, 2, static_cast<std::uint64_t>(world_.size)}, kBlock,
                           7);
  for (std::uint64_t step = 0; step < 50; ++step) {
    const TokenBatch val = reader.rank_batch(TokenSplit::val, step, world_.rank);
    const TokenBatch training = reader.rank_batch(TokenSplit::train, step, world_.rank);
    for (const std::uint64_t offset : val.offsets) {
      ASSERT_GE(offset, train);
      ASSERT_LE(offset + kBlock + 1, n);
    }
    for (const std::uint64_t offset : training.offsets) ASSERT_LE(offset + kBlock + 1, train);
    expect_matches_file(val, tokens);
    expect_matches_file(training, tokens);
  }
}

TEST_F(BatchReading, OverlappingWindowsAreEachReadWhole) {
  // 40 train tokens hold 24 windows of 17: a micro-batch of 16 must overlap.
  const std::string path = write("overlap.h5", 60, 40, 500);
  const auto tokens = testing::pattern_tokens(60, 500);
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, path, {});
  const BatchReader reader(data, BatchLayout{16, 1, static_cast<std::uint64_t>(world_.size)},
                           kBlock, 3);
  for (std::uint64_t step = 0; step < 20; ++step)
    expect_matches_file(reader.micro_batch(TokenSplit::train, step, world_.rank, 0), tokens);
}

TEST_F(BatchReading, SplitShorterThanAWindowIsAnInputError) {
  const std::string path = write("tiny.h5", 100, 95, 500);
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, path, {});
  const BatchReader reader(data, BatchLayout{1, 1, static_cast<std::uint64_t>(world_.size)}, kBlock,
                           3);
  EXPECT_THROW(reader.micro_batch(TokenSplit::val, 0, world_.rank, 0), Error);
}

}  // namespace
}  // namespace strata::io
