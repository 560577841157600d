// Philox4x32-10 against Random123's known answers, and CounterRng's
// promises: values depend only on (seed, stream, index), shards agree with
// the whole, streams differ, and the distributions are right.
#include "core/philox.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace strata {
namespace {

void expect_block(PhiloxCounter counter, PhiloxKey key, PhiloxCounter expected) {
  const PhiloxCounter out = philox4x32_10(counter, key);
  for (int w = 0; w < 4; ++w)
    EXPECT_EQ(out.word[w], expected.word[w]) << "word " << w << std::hex << " got " << out.word[w];
}

TEST(Philox, MatchesTheRandom123KnownAnswers) {
  expect_block({{0, 0, 0, 0}}, {{0, 0}}, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}});
  expect_block({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, {{0xffffffffu, 0xffffffffu}},
               {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}});
  expect_block({{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, {{0xa4093822u, 0x299f31d0u}},
               {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}});
}

TEST(StreamId, IsSixtyFourBitFnv1a) {
  EXPECT_EQ(stream_id(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(stream_id("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(stream_id("foobar"), 0x85944171f73967e8ull);
  EXPECT_NE(stream_id("h.0.attn.w"), stream_id("h.1.attn.w"));
  static_assert(stream_id("wte") == stream_id("wte"), "usable at compile time");
}

TEST(CounterRng, OpenUnitIntervalNeverReachesZeroOrOne) {
  EXPECT_EQ(detail::open_unit_interval(0, 0), std::ldexp(1.0, -53));
  EXPECT_LT(detail::open_unit_interval(0xffffffffu, 0xffffffffu), 1.0);
  EXPECT_EQ(detail::open_unit_interval(0xffffffffu, 0xffffffffu), 1.0 - std::ldexp(1.0, -53));
  EXPECT_TRUE(std::isfinite(std::sqrt(-2.0 * std::log(detail::open_unit_interval(0, 0)))));
}

// The full tensor is filled in one parallel pass; a "shard" fills [begin, end)
// into its own buffer, as a ZeRO partition would.
std::vector<double> fill_normals(std::uint64_t seed, std::uint64_t stream, std::uint64_t begin,
                                 std::uint64_t end) {
  Kokkos::View<double*> values("normals", end - begin);
  const CounterRng rng(seed, stream);
  Kokkos::parallel_for(
      "fill_normals", Kokkos::RangePolicy<Kokkos::DefaultExecutionSpace>(0, end - begin),
      KOKKOS_LAMBDA(std::uint64_t i) { values(i) = rng.normal(begin + i); });
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), values);
  return std::vector<double>(host.data(), host.data() + host.extent(0));
}

TEST(CounterRng, AShardGetsExactlyTheFullTensorsValues) {
  const std::uint64_t stream = stream_id("h.3.mlp.c_fc.weight");
  const std::vector<double> full = fill_normals(1234, stream, 0, 10000);
  for (auto [begin, end] : {std::pair<std::uint64_t, std::uint64_t>{0, 2500},
                            {2500, 5003},
                            {5003, 10000},
                            {7777, 7778}}) {
    const std::vector<double> shard = fill_normals(1234, stream, begin, end);
    for (std::uint64_t i = begin; i < end; ++i) ASSERT_EQ(shard[i - begin], full[i]) << i;
  }
  // And element by element, in reverse order, on the host.
  const CounterRng rng(1234, stream);
  for (std::uint64_t i = 10000; i-- > 0;) ASSERT_EQ(rng.normal(i), full[i]) << i;
  // Indices beyond 2^32 use the counter's high word.
  EXPECT_NE(rng.uniform(5), rng.uniform(5 + (1ull << 32)));
}

TEST(CounterRng, DifferentSeedsAndStreamsGiveUnrelatedValues) {
  const CounterRng base(1, stream_id("wte"));
  const CounterRng other_stream(1, stream_id("wpe"));
  const CounterRng other_seed(2, stream_id("wte"));
  const CounterRng high_seed(1 + (1ull << 32), stream_id("wte"));  // differs in the key's high word
  for (const CounterRng* other : {&other_stream, &other_seed, &high_seed}) {
    int equal = 0;
    double product = 0;
    constexpr int kCount = 20000;
    for (int i = 0; i < kCount; ++i) {
      equal += base.uniform(i) == other->uniform(i);
      product += base.normal(i) * other->normal(i);
    }
    EXPECT_EQ(equal, 0);
    EXPECT_LT(std::fabs(product / kCount), 5.0 / std::sqrt(kCount));  // correlation ~ 0
  }
}

// Kolmogorov-Smirnov distance between the sorted sample and a CDF.
template <class Cdf>
double ks_distance(std::vector<double> sample, Cdf cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double distance = 0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    distance = std::max({distance, (i + 1) / n - f, f - i / n});
  }
  return distance;
}

TEST(CounterRng, MillionUniformsAndNormalsHaveTheRightDistribution) {
  constexpr std::size_t kCount = 1'000'000;
  const CounterRng rng(42, stream_id("statistics"));
  std::vector<double> uniforms(kCount), normals(kCount);
  double sum_u = 0, sum_n = 0, sum_n2 = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    uniforms[i] = rng.uniform(i);
    normals[i] = rng.normal(i);
    ASSERT_GT(uniforms[i], 0.0);
    ASSERT_LT(uniforms[i], 1.0);
    sum_u += uniforms[i];
    sum_n += normals[i];
    sum_n2 += normals[i] * normals[i];
  }
  const double n = kCount;
  // Bounds are about 5 standard errors: a correct generator passes, a biased
  // or mis-scaled one (say variance 0.99, or a cos/sin mix-up) does not.
  EXPECT_NEAR(sum_u / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(sum_n / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(sum_n2 / n, 1.0, 5 * std::sqrt(2.0 / n));
  // 2.0 / sqrt(n) is the KS critical value at about 7e-4 significance.
  const double critical = 2.0 / std::sqrt(n);
  EXPECT_LT(ks_distance(uniforms, [](double x) { return x; }), critical);
  EXPECT_LT(ks_distance(normals, [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }),
            critical);
  // Tails: P(|z| > 4) is 6.3e-5, so about 63 of a million.
  const auto beyond4 =
      std::count_if(normals.begin(), normals.end(), [](double z) { return std::fabs(z) > 4.0; });
  EXPECT_GT(beyond4, 25);
  EXPECT_LT(beyond4, 110);
}

}  // namespace
}  // namespace strata
