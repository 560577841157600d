// strata-generate's sampler: greedy at temperature 0, top-k never picks
// outside the k best, and draws follow the softmax of logits / temperature.
#include <gtest/gtest.h>

#include <vector>

#include "sampling.hpp"

namespace strata::generate {
namespace {

TEST(Sampling, TemperatureZeroIsArgmax) {
  EXPECT_EQ(sample_token({0.1f, 3.0f, -1.0f, 2.9f}, 0.0, 0, 0.99), 1u);
}

TEST(Sampling, TopKKeepsOnlyTheBest) {
  const std::vector<float> logits{5.0f, 0.0f, 4.9f, 0.0f, 0.0f};
  for (double u : {0.0, 0.3, 0.6, 0.999}) {
    const auto id = sample_token(logits, 10.0, 2, u);
    EXPECT_TRUE(id == 0u || id == 2u) << u;
  }
}

TEST(Sampling, DrawsFollowTheSoftmax) {
  // Two tokens with logits ln 3 and 0 at temperature 1: p = 3/4, 1/4.
  const std::vector<float> logits{0.0f, 1.0986123f};
  EXPECT_EQ(sample_token(logits, 1.0, 0, 0.74), 1u);
  EXPECT_EQ(sample_token(logits, 1.0, 0, 0.76), 0u);
}

}  // namespace
}  // namespace strata::generate
