// UTF-8 repair (against what node prints for the same bytes), the byte-level
// alphabet and the generated Unicode class tables.
#include <gtest/gtest.h>

#include "io/tokenizer/byte_level.hpp"
#include "io/tokenizer/unicode_tables.hpp"
#include "io/tokenizer/utf8.hpp"

namespace strata::io {
namespace {

// Code points after node's Buffer.toString('utf8') of the same bytes.
std::u32string node_decoding(std::string_view bytes) {
  std::u32string cps;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const Utf8Step step = decode_utf8_step(bytes, pos);
    cps.push_back(step.cp);
    pos += step.length;
  }
  return cps;
}

TEST(Utf8, RepairsLikeNode) {
  // Expected values printed by node v20 for these byte strings.
  EXPECT_EQ(node_decoding("\xEF\xBB\xBF\x41"), U"\uFEFF\x41");
  EXPECT_EQ(node_decoding("\xE0\x80\x80"), U"\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(node_decoding("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(node_decoding("\xF4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(node_decoding("\xE1\x80\x41"), U"\uFFFD\x41");
  EXPECT_EQ(node_decoding("\xF0\x9F\x98"), U"\uFFFD");
  EXPECT_EQ(node_decoding("\xC0\xAF"), U"\uFFFD\uFFFD");
  EXPECT_EQ(node_decoding("\xF0\x9F\x41\x80"), U"\uFFFD\x41\uFFFD");
  EXPECT_EQ(node_decoding("\xF0\x9F\x98\x80"), U"\U0001F600");
}

TEST(Utf8, ValidityAndReplacement) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii text, long enough for the 8-byte path"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("abcdefgh\x80"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_EQ(replace_invalid_utf8("a\x80z"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(replace_invalid_utf8("\xE2\x82"), "\xEF\xBF\xBD");
  EXPECT_EQ(replace_invalid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
  std::string s;
  append_utf8(s, 0x10FFFF);
  EXPECT_EQ(s, "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(code_point_name(0xE9), "U+00E9");
  EXPECT_EQ(code_point_name(0x1F600), "U+1F600");
}

TEST(ByteLevel, IsABijectionOntoPrintableCharacters) {
  EXPECT_EQ(byte_to_symbol_char(' '), U'\u0120');  // the famous 'Ġ'
  EXPECT_EQ(byte_to_symbol_char('\n'), U'\u010A');
  EXPECT_EQ(byte_to_symbol_char('A'), U'A');
  EXPECT_EQ(byte_to_symbol_char(0xAD), U'\u0143');
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(symbol_char_to_byte(byte_to_symbol_char(static_cast<std::uint8_t>(b))), b);
  }
  EXPECT_EQ(symbol_char_to_byte(U'\u0144'), -1);
  EXPECT_EQ(symbol_char_to_byte(U' '), -1);
  char32_t bad = 0;
  EXPECT_EQ(bytes_from_symbol_text("\xC4\xA0the", bad), std::string(" the"));
  EXPECT_FALSE(bytes_from_symbol_text("a b", bad));
  EXPECT_EQ(bad, U' ');
}

TEST(UnicodeTables, ClassifyLikeJavaScript) {
  EXPECT_EQ(char_class('a'), CharClass::letter);
  EXPECT_EQ(char_class('7'), CharClass::number);
  EXPECT_EQ(char_class('\v'), CharClass::space);
  EXPECT_EQ(char_class('\''), CharClass::other);
  EXPECT_EQ(char_class(0x00A0), CharClass::space);  // NBSP is \s in JS
  EXPECT_EQ(char_class(0x0085), CharClass::other);  // NEL is not
  EXPECT_EQ(char_class(0x180E), CharClass::other);  // Mongolian vowel separator: no longer \s
  EXPECT_EQ(char_class(0xFEFF), CharClass::space);  // BOM is \s in JS
  EXPECT_EQ(char_class(0x2028), CharClass::space);
  EXPECT_EQ(char_class(0x3000), CharClass::space);
  EXPECT_EQ(char_class(0x0301), CharClass::other);   // combining marks are neither L nor N
  EXPECT_EQ(char_class(0x0661), CharClass::number);  // Arabic-Indic one
  EXPECT_EQ(char_class(0x216B), CharClass::number);  // Roman numeral twelve (Nl)
  EXPECT_EQ(char_class(0x00B2), CharClass::number);  // superscript two (No)
  EXPECT_EQ(char_class(0x4E2D), CharClass::letter);
  EXPECT_EQ(char_class(0x1D400), CharClass::letter);  // astral: mathematical bold A
  EXPECT_EQ(char_class(0x1F600), CharClass::other);   // emoji
  EXPECT_EQ(char_class(0x10FFFF), CharClass::other);
  for (std::size_t i = 0; i < kClassRangeCount; ++i) {
    ASSERT_LE(kClassRanges[i].first, kClassRanges[i].last);
    ASSERT_GE(kClassRanges[i].first, 0x80u);
    if (i > 0) {
      ASSERT_LT(kClassRanges[i - 1].last, kClassRanges[i].first);
    }
  }
}

}  // namespace
}  // namespace strata::io
