// global_grad_norm / clip_coefficient / scale_gradients against double
// references, DeepSpeed's clip rule, and non-finite gradients.
#include <gtest/gtest.h>

#include <limits>

#include "kernels/grad_norm.hpp"
#include "pointwise_test_support.hpp"

namespace strata::testing {
namespace {

using kernels::clip_coefficient;
using kernels::ConstVectorF;
using kernels::global_grad_norm;
using kernels::grad_sum_of_squares;
using kernels::scale_gradients;

TEST(GradNorm, EqualsTheDoubleReferenceOverManyBuffers) {
  // Sizes around every chunk and lane boundary, an empty buffer, and one
  // big enough (1.2M) that an fp32 sum would drift.
  const std::vector<std::size_t> sizes = {0, 1, 7, 8, 9, 4095, 4096, 4097, 1200001};
  std::vector<ConstVectorF> buffers;
  double want = 0.0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto g = random_floats(sizes[i], 10 + static_cast<unsigned>(i), -1e-2f, 1e-2f);
    for (float x : g) want += static_cast<double>(x) * x;
    buffers.push_back(device_vector(g));
  }
  // Each square of an fp32 value is exact in double; the sums round at
  // 2^-53 per add: 1e-12 relative is loose for 1.2M terms.
  EXPECT_NEAR(global_grad_norm(buffers), std::sqrt(want), 1e-12 * std::sqrt(want));
  EXPECT_EQ(grad_sum_of_squares(buffers[0]), 0.0);
}

TEST(GradNorm, PartitionedSumsAddUpToTheWhole) {
  // What a ZeRO rank does: sum its shard, all-reduce the sums, sqrt.
  const auto g = random_floats(10000, 20);
  const auto whole = device_vector(g);
  const double sum_whole = grad_sum_of_squares(whole);
  const double shard_sum = grad_sum_of_squares(Kokkos::subview(whole, std::make_pair(0, 3333))) +
                           grad_sum_of_squares(Kokkos::subview(whole, std::make_pair(3333, 10000)));
  EXPECT_NEAR(shard_sum, sum_whole, 1e-12 * sum_whole);
  EXPECT_NEAR(global_grad_norm({whole}), std::sqrt(sum_whole), 0.0);
}

TEST(GradNorm, NonFiniteGradientsGiveANonFiniteNorm) {
  auto g = random_floats(100, 21);
  g[50] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isinf(global_grad_norm({device_vector(g)})));
  g[50] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(global_grad_norm({device_vector(g)})));
}

TEST(GradNorm, ClipCoefficientIsDeepSpeeds) {
  EXPECT_EQ(clip_coefficient(2.0, 1.0), static_cast<float>(1.0 / (2.0 + 1e-6)));
  EXPECT_EQ(clip_coefficient(0.5, 1.0), 1.0f);  // under the limit: untouched
  // At the limit the 1e-6 still clips, by 1e-6, as DeepSpeed does.
  EXPECT_EQ(clip_coefficient(1.0, 1.0), static_cast<float>(1.0 / (1.0 + 1e-6)));
  EXPECT_EQ(clip_coefficient(0.0, 1.0), 1.0f);
  EXPECT_EQ(clip_coefficient(5.0, 0.0), 1.0f);  // clipping off
  EXPECT_EQ(clip_coefficient(std::numeric_limits<double>::quiet_NaN(), 1.0), 1.0f);
}

TEST(GradNorm, ScaleGradientsMultipliesEveryElement) {
  const auto g = random_floats(5000, 22);
  VectorF v = device_vector(g);
  scale_gradients(v, 0.25f);
  const auto got = to_host(v);
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(got[i], g[i] * 0.25f);
}

}  // namespace
}  // namespace strata::testing
