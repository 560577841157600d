// portable_cast: the Kokkos conversions that device builds run, checked here
// on the host backend against precision_cast (itself checked bit for bit
// against dtype.hpp): narrowing and accumulation bit for bit on a sweep of
// rounding cases, widening on every 2-byte pattern, the Inf/NaN scan, the
// sum of squares and the byte copies.
#include "kernels/portable_cast.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/precision_cast.hpp"

namespace strata::kernels::portable_cast {
namespace {

float from_bits(std::uint32_t bits) { return strata::detail::float_from_bits(bits); }

// Every sign and exponent with fraction tails that decide rounding in both
// 16-bit formats (zero, ties, their neighbours), plus random patterns.
std::vector<float> rounding_values() {
  std::mt19937 gen(11);
  const std::uint32_t tails[] = {0x0000u, 0x0001u, 0x7fffu, 0x8000u,
                                 0x8001u, 0x0fffu, 0x1000u, 0x1001u};
  std::vector<float> values;
  for (std::uint32_t sign_exponent = 0; sign_exponent < 512; ++sign_exponent)
    for (std::uint32_t tail : tails) {
      values.push_back(from_bits((sign_exponent << 23) | tail));
      values.push_back(from_bits((sign_exponent << 23) | 0x10000u | tail));
    }
  for (int i = 0; i < 20000; ++i) values.push_back(from_bits(static_cast<std::uint32_t>(gen())));
  return values;
}

std::vector<std::uint16_t> every_pattern() {
  std::vector<std::uint16_t> all(1u << 16);
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint16_t>(i);
  return all;
}

constexpr DType kNarrowTypes[] = {DType::bf16, DType::fp16};

TEST(PortableCast, NarrowMatchesPrecisionCastBitForBit) {
  const std::vector<float> values = rounding_values();
  const auto n = static_cast<std::int64_t>(values.size());
  for (DType type : kNarrowTypes) {
    std::vector<std::uint16_t> want(values.size()), got(values.size(), 0xdead);
    precision_cast::narrow(values.data(), type, want.data(), n);
    narrow(values.data(), type, got.data(), n);
    EXPECT_EQ(got, want) << name(type);
  }
  std::vector<float> copied(values.size());
  narrow(values.data(), DType::fp32, copied.data(), n);
  EXPECT_EQ(std::memcmp(copied.data(), values.data(), values.size() * sizeof(float)), 0);
}

TEST(PortableCast, WidenMatchesOnEveryPattern) {
  const std::vector<std::uint16_t> patterns = every_pattern();
  const auto n = static_cast<std::int64_t>(patterns.size());
  for (DType type : kNarrowTypes) {
    std::vector<float> want(patterns.size()), got(patterns.size(), -1.0f);
    precision_cast::widen(patterns.data(), type, want.data(), n);
    widen(patterns.data(), type, got.data(), n);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0) << name(type);
  }
}

TEST(PortableCast, AccumulateMatchesPrecisionCast) {
  const std::vector<float> contributions = rounding_values();
  const auto n = static_cast<std::int64_t>(contributions.size());
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (DType type : kNarrowTypes) {
    std::vector<float> start(contributions.size());
    for (float& value : start) value = normal(gen);
    std::vector<std::uint16_t> want(start.size()), got(start.size());
    precision_cast::narrow(start.data(), type, want.data(), n);
    got = want;
    precision_cast::accumulate_narrow(contributions.data(), type, want.data(), n);
    accumulate_narrow(contributions.data(), type, got.data(), n);
    EXPECT_EQ(got, want) << name(type);

    // A 16-bit contribution into fp32: widened exactly, then one fp32 add.
    std::vector<float> sum(start), expected(start);
    std::vector<float> widened(start.size());
    precision_cast::widen(got.data(), type, widened.data(), n);
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] += widened[i];
    accumulate(got.data(), type, sum.data(), DType::fp32, n);
    EXPECT_EQ(std::memcmp(sum.data(), expected.data(), sum.size() * sizeof(float)), 0)
        << name(type);
  }
}

TEST(PortableCast, FindsEveryInfAndNan) {
  const float specials[] = {std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (DType type : {DType::fp32, DType::bf16, DType::fp16}) {
    std::vector<float> values(1000, 65000.0f);  // finite in all three types
    std::vector<std::uint32_t> buffer(values.size());
    narrow(values.data(), type, buffer.data(), 1000);
    EXPECT_FALSE(has_inf_or_nan(buffer.data(), type, 1000)) << name(type);
    for (float special : specials)
      for (int at : {0, 517, 999}) {
        values.assign(1000, 1.0f);
        values[static_cast<std::size_t>(at)] = special;
        narrow(values.data(), type, buffer.data(), 1000);
        EXPECT_TRUE(has_inf_or_nan(buffer.data(), type, 1000)) << name(type) << " at " << at;
      }
  }
  // fp16 overflow: 70000 narrows to Inf.
  const float big = 70000.0f;
  std::uint16_t half = 0;
  narrow(&big, DType::fp16, &half, 1);
  EXPECT_TRUE(has_inf_or_nan(&half, DType::fp16, 1));
}

TEST(PortableCast, SumOfSquaresOfWidenedValues) {
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(30001);
  for (float& value : values) value = normal(gen);
  const auto n = static_cast<std::int64_t>(values.size());
  for (DType type : {DType::fp32, DType::bf16, DType::fp16}) {
    std::vector<std::uint32_t> buffer(values.size());
    narrow(values.data(), type, buffer.data(), n);
    std::vector<float> widened(values.size());
    precision_cast::widen(buffer.data(), type, widened.data(), n);
    double want = 0;
    for (float value : widened) want += static_cast<double>(value) * value;
    EXPECT_NEAR(sum_of_squares(buffer.data(), type, n), want, 1e-12 * want) << name(type);
  }
}

TEST(PortableCast, CopiesAndZeroesBytes) {
  std::vector<unsigned char> source(1001), device(1001, 7), back(1001, 9);
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<unsigned char>(i * 31);
  copy_from_host(source.data(), device.data(), source.size());
  EXPECT_EQ(device, source);
  std::vector<unsigned char> twin(1001, 3);
  copy(device.data(), twin.data(), device.size());
  EXPECT_EQ(twin, source);
  copy_to_host(twin.data(), back.data(), twin.size());
  EXPECT_EQ(back, source);
  fill_zero(twin.data() + 1, 999);
  EXPECT_EQ(twin.front(), source.front());
  EXPECT_EQ(twin.back(), source.back());
  for (std::size_t i = 1; i < 1000; ++i) ASSERT_EQ(twin[i], 0) << i;
}

}  // namespace
}  // namespace strata::kernels::portable_cast
