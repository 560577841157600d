// The sample order is a pure function of (seed, split, step, sample), and
// the rank/micro-batch mapping tiles [0, G) for every split of G.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/error.hpp"
#include "io/sample_order.hpp"

namespace strata::io {
namespace {

TEST(SampleOrder, RanksAndMicroBatchesTileTheGlobalBatch) {
  for (const BatchLayout layout : {BatchLayout{8, 1, 1}, BatchLayout{2, 2, 2}, BatchLayout{1, 4, 2},
                                   BatchLayout{1, 2, 4}, BatchLayout{3, 5, 7}}) {
    std::vector<int> seen(layout.global_batch(), 0);
    for (std::uint64_t d = 0; d < layout.dp; ++d) {
      const SampleRange rank = samples_of_rank(layout, d);
      EXPECT_EQ(rank.first, d * layout.global_batch() / layout.dp);
      for (std::uint64_t m = 0; m < layout.grad_accum; ++m) {
        const SampleRange micro = samples_of_micro_batch(layout, d, m);
        EXPECT_EQ(micro.first, rank.first + m * layout.micro_batch);
        for (std::uint64_t s = micro.first; s < micro.first + micro.count; ++s) ++seen[s];
      }
    }
    for (const int count : seen) EXPECT_EQ(count, 1);
  }
}

TEST(SampleOrder, StartsAreDeterministicAndDependOnEveryKey) {
  const std::uint64_t n = 1'000'000;
  EXPECT_EQ(sample_start(7, TokenSplit::train, 3, 5, n),
            sample_start(7, TokenSplit::train, 3, 5, n));
  const std::uint64_t base = sample_start(7, TokenSplit::train, 3, 5, n);
  EXPECT_NE(base, sample_start(8, TokenSplit::train, 3, 5, n));
  EXPECT_NE(base, sample_start(7, TokenSplit::val, 3, 5, n));
  EXPECT_NE(base, sample_start(7, TokenSplit::train, 4, 5, n));
  EXPECT_NE(base, sample_start(7, TokenSplit::train, 3, 6, n));
}

TEST(SampleOrder, StartsCoverTheRangeUniformly) {
  const std::uint64_t n = 10;
  std::vector<int> histogram(n, 0);
  for (std::uint64_t step = 0; step < 1000; ++step)
    for (std::uint64_t s = 0; s < 10; ++s) {
      const std::uint64_t start = sample_start(1, TokenSplit::train, step, s, n);
      ASSERT_LT(start, n);
      ++histogram[start];
    }
  for (const int count : histogram) {  // 1000 expected per bin; 5 sigma is about 150
    EXPECT_GT(count, 850);
    EXPECT_LT(count, 1150);
  }
  EXPECT_EQ(sample_start(1, TokenSplit::train, 0, 0, 1), 0u);
}

TEST(SampleOrder, ZeroSizesAreInputErrors) {
  EXPECT_THROW((BatchLayout{0, 1, 1}.validate()), Error);
  EXPECT_THROW((BatchLayout{1, 0, 1}.validate()), Error);
  EXPECT_THROW((BatchLayout{1, 1, 0}.validate()), Error);
  EXPECT_THROW(samples_of_rank(BatchLayout{1, 1, 2}, 2), Error);
}

}  // namespace
}  // namespace strata::io
