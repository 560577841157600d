// Value parsing: byte sizes, typed deck values, nearest-key suggestions.
#include <cstdint>

#include "config/byte_size.hpp"
#include "config/impl/nearest_key.hpp"
#include "config/impl/value_text.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using testing::error_of;
using ::testing::HasSubstr;

const KeyOrigin kLimit{"[memory] device_memory_limit", "run.ini:3"};

TEST(ByteSize, PlainIntegersAreBytes) {
  EXPECT_EQ(parse_byte_size("0"), 0u);
  EXPECT_EQ(parse_byte_size("1073741824"), 1073741824u);
  EXPECT_EQ(parse_byte_size("18446744073709551615"), UINT64_MAX);
}

TEST(ByteSize, BinaryAndDecimalUnits) {
  EXPECT_EQ(parse_byte_size("2GiB"), 2ULL << 30);
  EXPECT_EQ(parse_byte_size("512MiB"), 512ULL << 20);
  EXPECT_EQ(parse_byte_size("4KiB"), 4096u);
  EXPECT_EQ(parse_byte_size("1TiB"), 1ULL << 40);
  EXPECT_EQ(parse_byte_size("1.5GB"), 1500000000u);
  EXPECT_EQ(parse_byte_size("3KB"), 3000u);
  EXPECT_EQ(parse_byte_size("7MB"), 7000000u);
  EXPECT_EQ(parse_byte_size("2TB"), 2000000000000u);
  EXPECT_EQ(parse_byte_size("10B"), 10u);
}

TEST(ByteSize, FractionsSpacesAndCase) {
  EXPECT_EQ(parse_byte_size("1.5GiB"), 3ULL << 29);
  EXPECT_EQ(parse_byte_size(" 2 gib "), 2ULL << 30);
  EXPECT_EQ(parse_byte_size("0.5KiB"), 512u);
  EXPECT_EQ(parse_byte_size("1.0001KiB"), 1024u);  // rounded down to whole bytes
}

TEST(ByteSize, RejectsNegativeGarbageAndOverflow) {
  EXPECT_THAT(error_of([] { parse_byte_size("-1GiB", kLimit); }), HasSubstr("cannot be negative"));
  EXPECT_THAT(error_of([] { parse_byte_size("lots", kLimit); }), HasSubstr("expected a byte size"));
  EXPECT_THAT(error_of([] { parse_byte_size("12 bananas", kLimit); }), HasSubstr("unknown unit"));
  EXPECT_THAT(error_of([] { parse_byte_size("2G", kLimit); }), HasSubstr("ambiguous"));
  EXPECT_THAT(error_of([] { parse_byte_size("1.5", kLimit); }), HasSubstr("must be whole"));
  EXPECT_THAT(error_of([] { parse_byte_size("", kLimit); }), HasSubstr("empty"));
  EXPECT_THAT(error_of([] { parse_byte_size("18446744073709551616", kLimit); }),
              HasSubstr("exceeds"));
  EXPECT_THAT(error_of([] { parse_byte_size("16777216TiB", kLimit); }), HasSubstr("exceeds"));
  EXPECT_THAT(error_of([] { parse_byte_size("999999999999999999999", kLimit); }),
              HasSubstr("too large"));
}

TEST(ByteSize, ErrorNamesKeyWhereAndFix) {
  const std::string message = error_of([] { parse_byte_size("2 gigs", kLimit); });
  EXPECT_THAT(message, HasSubstr("[memory] device_memory_limit"));
  EXPECT_THAT(message, HasSubstr("run.ini:3"));
  EXPECT_THAT(message,
              HasSubstr("fix: write a whole number of bytes or a size with a unit, e.g. 2GiB"));
}

TEST(ByteSize, FormatReadsBack) {
  for (std::uint64_t bytes :
       std::vector<std::uint64_t>{0, 1, 1024, 3ULL << 29, 5ULL << 40, 1000000000, UINT64_MAX}) {
    EXPECT_EQ(parse_byte_size(format_byte_size(bytes)), bytes) << format_byte_size(bytes);
  }
  EXPECT_EQ(format_byte_size(2ULL << 30), "2GiB");
  EXPECT_EQ(format_byte_size(1000), "1000");
}

const KeyOrigin kSteps{"[train] steps", "run.ini:9"};

TEST(DeckValues, IntegersAreStrict) {
  EXPECT_EQ(impl::parse_integer("42", 0, 100, kSteps), 42);
  EXPECT_EQ(impl::parse_integer("-3", -10, 10, kSteps), -3);
  EXPECT_EQ(impl::parse_integer("5e8", 0, INT64_MAX, kSteps), 500000000);
  EXPECT_THAT(error_of([] { impl::parse_integer("2.5", 0, 100, kSteps); }),
              HasSubstr("[train] steps: expected an integer, got '2.5' (run.ini:9)"));
  EXPECT_THAT(error_of([] { impl::parse_integer("abc", 0, 100, kSteps); }),
              HasSubstr("expected an integer"));
  EXPECT_THAT(error_of([] { impl::parse_integer("", 0, 100, kSteps); }),
              HasSubstr("expected an integer"));
  EXPECT_THAT(error_of([] { impl::parse_integer("1.5e0", 0, 100, kSteps); }),
              HasSubstr("expected an integer"));
  EXPECT_THAT(error_of([] { impl::parse_integer("3000000000", 0, INT32_MAX, kSteps); }),
              HasSubstr("out of range"));
  EXPECT_THAT(
      error_of([] { impl::parse_integer("99999999999999999999", INT64_MIN, INT64_MAX, kSteps); }),
      HasSubstr("out of range"));
}

TEST(DeckValues, BooleansRealsAndChoices) {
  EXPECT_TRUE(impl::parse_bool("true", kSteps));
  EXPECT_TRUE(impl::parse_bool("Yes", kSteps));
  EXPECT_FALSE(impl::parse_bool("off", kSteps));
  EXPECT_THAT(error_of([] { impl::parse_bool("maybe", kSteps); }),
              HasSubstr("expected a boolean, got 'maybe'"));
  EXPECT_DOUBLE_EQ(impl::parse_real("3e-4", kSteps), 3e-4);
  EXPECT_THAT(error_of([] { impl::parse_real("fast", kSteps); }), HasSubstr("expected a number"));
  EXPECT_THAT(error_of([] { impl::parse_real("inf", kSteps); }), HasSubstr("expected a number"));
  EXPECT_EQ(impl::parse_enum<DType>("bf16", kSteps), DType::bf16);
  EXPECT_THAT(error_of([] { impl::parse_enum<DType>("fp8", kSteps); }),
              HasSubstr("expected one of fp32, bf16, fp16, got 'fp8'"));
  EXPECT_EQ(impl::parse_text("\"latest\""), "latest");
}

TEST(DeckValues, RealsFormatShortestAndExact) {
  for (double value : {6e-4, 0.1, 1e-8, 0.95, 123456789.125, 3.0}) {
    EXPECT_EQ(impl::parse_real(impl::format_real(value), kSteps), value);
  }
  EXPECT_EQ(impl::format_real(6e-4), "0.0006");
}

TEST(NearestKey, EditDistance) {
  EXPECT_EQ(impl::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(impl::edit_distance("", "abc"), 3u);
  EXPECT_EQ(impl::edit_distance("same", "same"), 0u);
}

TEST(NearestKey, TyposWrongSectionsAndNothingClose) {
  const std::vector<std::string> keys{"train.micro_batch", "train.lr", "model.n_head",
                                      "zero.stage"};
  EXPECT_EQ(impl::nearest_key("train.micro_bach", keys), "train.micro_batch");
  EXPECT_EQ(impl::nearest_key("model.micro_batch", keys), "train.micro_batch");
  EXPECT_EQ(impl::nearest_key("zero.stag", keys), "zero.stage");
  EXPECT_EQ(impl::nearest_key("completely.unrelated_thing", keys), std::nullopt);
}

}  // namespace
}  // namespace strata::config
