// dtype.hpp: names, parsing, and the fp32 <-> bf16/fp16 conversions, checked
// exhaustively on the narrow side and against an independent double-precision
// rounding on the fp32 side.
#include "core/dtype.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.hpp"

namespace strata {
namespace {

float from_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

std::uint16_t fp16_bits(float value) { return to_fp16(value).bits; }
std::uint16_t bf16_bits(float value) { return to_bf16(value).bits; }

// Reference rounding, computed unlike the code under test: scale |x| so the
// kept significand bits are the integer part, round with nearbyint (the
// default mode is round-to-nearest-even), scale back. `precision` is the
// significand width incl. the hidden bit, `min_exponent` the exponent of the
// smallest normal, `max_finite` the largest finite value.
double reference_round(double x, int precision, int min_exponent, double max_finite) {
  if (std::isnan(x) || std::isinf(x)) return x;
  const double magnitude = std::fabs(x);
  int exponent = 0;
  std::frexp(magnitude, &exponent);  // magnitude = f * 2^exponent, f in [0.5, 1)
  // Unit of the last place: fixed in the subnormal range, per binade above it.
  const int ulp_exponent = std::max(exponent - precision, min_exponent - precision + 1);
  const double rounded =
      std::ldexp(std::nearbyint(std::ldexp(magnitude, -ulp_exponent)), ulp_exponent);
  // Past the largest finite value by half an ulp or more (ties included, since
  // max_finite's significand is odd) is Inf; `rounded` already encodes that.
  const double result = rounded > max_finite ? std::numeric_limits<double>::infinity() : rounded;
  return std::copysign(result, x);
}

bool same_value(float actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual);
  return static_cast<double>(actual) == expected && std::signbit(actual) == std::signbit(expected);
}

TEST(DType, SizesNamesAndParsing) {
  EXPECT_EQ(size_in_bytes(DType::fp32), 4u);
  EXPECT_EQ(size_in_bytes(DType::bf16), 2u);
  EXPECT_EQ(size_in_bytes(DType::fp16), 2u);
  for (DType dtype : {DType::fp32, DType::bf16, DType::fp16})
    EXPECT_EQ(parse_dtype(name(dtype)), dtype);
  EXPECT_EQ(name(DType::bf16), "bf16");
}

TEST(DType, ParseRejectsUnknownNamesWithTheKeyAndTheChoices) {
  try {
    parse_dtype("float16", "[precision] dtype");
    FAIL() << "no error for float16";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "[precision] dtype");
    EXPECT_NE(error.problem().find("float16"), std::string::npos);
    EXPECT_NE(error.fix().find("fp32, bf16, fp16"), std::string::npos);
    EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
  }
  EXPECT_THROW(parse_dtype("FP32"), Error);
}

TEST(Fp16, EveryBitPatternSurvivesTheRoundTrip) {
  for (std::uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    const fp16_t value{static_cast<std::uint16_t>(bits)};
    const bool is_nan = (bits & 0x7c00u) == 0x7c00u && (bits & 0x03ffu) != 0;
    const float wide = to_float(value);
    const std::uint16_t back = to_fp16(wide).bits;
    if (is_nan) {
      ASSERT_TRUE(std::isnan(wide)) << std::hex << bits;
      ASSERT_TRUE(std::isnan(to_float(fp16_t{back}))) << std::hex << bits;
      ASSERT_EQ(back & 0x8000u, bits & 0x8000u) << std::hex << bits;
    } else {
      ASSERT_EQ(static_cast<std::uint32_t>(back), bits) << std::hex << bits;
    }
  }
}

TEST(Bf16, EveryBitPatternSurvivesTheRoundTrip) {
  for (std::uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    const bf16_t value{static_cast<std::uint16_t>(bits)};
    const bool is_nan = (bits & 0x7f80u) == 0x7f80u && (bits & 0x007fu) != 0;
    const float wide = to_float(value);
    ASSERT_EQ(bits_of(wide), bits << 16);  // widening is exact: the top half
    const std::uint16_t back = to_bf16(wide).bits;
    if (is_nan) {
      ASSERT_TRUE(std::isnan(to_float(bf16_t{back}))) << std::hex << bits;
      ASSERT_EQ(back & 0x8000u, bits & 0x8000u) << std::hex << bits;
    } else {
      ASSERT_EQ(static_cast<std::uint32_t>(back), bits) << std::hex << bits;
    }
  }
}

TEST(Fp16, EdgeCases) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fp16_bits(0.0f), 0x0000);
  EXPECT_EQ(fp16_bits(-0.0f), 0x8000);
  EXPECT_EQ(fp16_bits(inf), 0x7c00);
  EXPECT_EQ(fp16_bits(-inf), 0xfc00);
  EXPECT_TRUE(std::isnan(to_float(to_fp16(std::nanf("")))));
  EXPECT_EQ(fp16_bits(-std::nanf("")) & 0x8000, 0x8000);  // NaN keeps its sign
  // A signalling NaN whose payload lives only in bits fp16 drops stays NaN.
  EXPECT_TRUE(std::isnan(to_float(to_fp16(from_bits(0x7f800001u)))));
  EXPECT_EQ(fp16_bits(65504.0f), 0x7bff);  // max finite
  EXPECT_EQ(to_float(fp16_t{0x7bff}), 65504.0f);
  EXPECT_EQ(fp16_bits(std::nextafter(65520.0f, 0.0f)), 0x7bff);  // just under the tie
  EXPECT_EQ(fp16_bits(65520.0f), 0x7c00);                        // the tie rounds to even: Inf
  EXPECT_EQ(fp16_bits(-65520.0f), 0xfc00);
  EXPECT_EQ(fp16_bits(1e10f), 0x7c00);
  EXPECT_EQ(fp16_bits(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(fp16_bits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(to_float(fp16_t{0x0001}), std::ldexp(1.0f, -24));
  EXPECT_EQ(to_float(fp16_t{0x03ff}), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(fp16_bits(std::ldexp(1.0f, -25)), 0x0000);            // tie to even: 0
  EXPECT_EQ(fp16_bits(-std::ldexp(1.0f, -25)), 0x8000);
  EXPECT_EQ(fp16_bits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(fp16_bits(std::ldexp(3.0f, -26)), 0x0001);     // 1.5 * 2^-25 rounds up
  EXPECT_EQ(fp16_bits(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 ulp: tie to even (2)
  EXPECT_EQ(fp16_bits(std::ldexp(5.0f, -25)), 0x0002);     // 2.5 ulp: tie to even (2)
  EXPECT_EQ(fp16_bits(std::ldexp(2047.0f, -25)), 0x0400);  // rounds up into the normals
  EXPECT_EQ(fp16_bits(std::numeric_limits<float>::denorm_min()), 0x0000);
  // Halfway ties in the normal range: 1 + 2^-11 is between 1 and 1 + 2^-10.
  EXPECT_EQ(fp16_bits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // down to even
  EXPECT_EQ(fp16_bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // up to even
  EXPECT_EQ(fp16_bits(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
  EXPECT_EQ(fp16_bits(2.0f - std::ldexp(1.0f, -12)), 0x4000);  // carry into the exponent
}

TEST(Bf16, EdgeCases) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(bf16_bits(0.0f), 0x0000);
  EXPECT_EQ(bf16_bits(-0.0f), 0x8000);
  EXPECT_EQ(bf16_bits(inf), 0x7f80);
  EXPECT_EQ(bf16_bits(-inf), 0xff80);
  EXPECT_TRUE(std::isnan(to_float(to_bf16(from_bits(0x7f800001u)))));  // not Inf
  EXPECT_EQ(bf16_bits(from_bits(0xff800001u)) & 0x8000, 0x8000);
  EXPECT_EQ(bf16_bits(from_bits(0x7f7f7fffu)), 0x7f7f);  // below the tie: max finite
  EXPECT_EQ(bf16_bits(from_bits(0x7f7f8000u)), 0x7f80);  // tie, odd: up to Inf
  EXPECT_EQ(bf16_bits(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(bf16_bits(from_bits(0x3f808000u)), 0x3f80);  // tie, even: down
  EXPECT_EQ(bf16_bits(from_bits(0x3f818000u)), 0x3f82);  // tie, odd: up
  EXPECT_EQ(bf16_bits(from_bits(0x3f808001u)), 0x3f81);  // above the tie
  // fp32 subnormals: same exponent field, rounded like everything else.
  EXPECT_EQ(bf16_bits(from_bits(0x00008000u)), 0x0000);  // tie, even: 0
  EXPECT_EQ(bf16_bits(from_bits(0x00018000u)), 0x0002);  // tie, odd: up
  EXPECT_EQ(bf16_bits(from_bits(0x007fffffu)), 0x0080);  // up into the smallest normal
  EXPECT_EQ(to_float(bf16_t{0x0001}), from_bits(0x00010000u));
}

// Random floats, dense in fp16's range (exponents 2^-30 .. 2^17) and spread
// over all of fp32, against the independent reference rounding.
TEST(Conversions, MatchAnIndependentReferenceOnRandomFloats) {
  std::mt19937 generator(20240611u);
  std::uniform_int_distribution<std::uint32_t> any_bits;
  std::uniform_int_distribution<std::uint32_t> fp16_exponent(127 - 30, 127 + 17);
  std::size_t mismatches_fp16 = 0, mismatches_bf16 = 0;
  for (int i = 0; i < 3'000'000; ++i) {
    std::uint32_t bits = any_bits(generator);
    if (i % 4 != 0)  // mostly values near fp16's range, some anywhere
      bits = (bits & 0x807fffffu) | (fp16_exponent(generator) << 23);
    if (i % 8 == 1) bits &= 0xffffe000u | (1u << 12);  // make exact fp16 ties common
    const float x = from_bits(bits);
    const double wanted16 = reference_round(x, 11, -14, 65504.0);
    const double wanted_b =
        reference_round(x, 8, -126, static_cast<double>(from_bits(0x7f7f0000u)));
    if (!same_value(to_float(to_fp16(x)), wanted16) && ++mismatches_fp16 < 5)
      ADD_FAILURE() << "fp16(" << std::hexfloat << x << ") = " << to_float(to_fp16(x)) << ", want "
                    << wanted16;
    if (!same_value(to_float(to_bf16(x)), wanted_b) && ++mismatches_bf16 < 5)
      ADD_FAILURE() << "bf16(" << std::hexfloat << x << ") = " << to_float(to_bf16(x)) << ", want "
                    << wanted_b;
  }
  EXPECT_EQ(mismatches_fp16, 0u);
  EXPECT_EQ(mismatches_bf16, 0u);
}

}  // namespace
}  // namespace strata
