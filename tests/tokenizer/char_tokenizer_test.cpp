// CharTokenizer: fitting as nanoGPT's shakespeare_char does, the stored
// vocabulary, round trips, and errors that name the character and offset.
#include <gtest/gtest.h>

#include <functional>

#include "../support/error_text.hpp"
#include "core/error.hpp"
#include "io/tokenizer/char_tokenizer.hpp"

namespace strata::io {
namespace {

using Ids = std::vector<TokenId>;

using strata::testing::error_text;

TEST(CharTokenizer, FitsTheSortedDistinctCharacters) {
  const CharTokenizer tok = CharTokenizer::fit("hello world");
  EXPECT_EQ(tok.name(), "char");
  EXPECT_EQ(tok.vocabulary(), " dehlorw");
  EXPECT_EQ(tok.vocab_size(), 8u);
  EXPECT_EQ(tok.encode("hello"), (Ids{3, 2, 4, 4, 5}));
  EXPECT_EQ(tok.decode({7, 5, 6, 4, 1}), "world");
  EXPECT_FALSE(tok.end_of_text().has_value());
}

TEST(CharTokenizer, ShakespeareCharacterSetHas65) {
  // The characters of tinyshakespeare, as nanoGPT prints them.
  const std::string chars = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const std::string text =
      "First Citizen:\nBefore we proceed any further, hear me speak.\n" + chars + "zyx" + chars;
  const CharTokenizer tok = CharTokenizer::fit(text);
  EXPECT_EQ(tok.vocab_size(), 65u);
  EXPECT_EQ(tok.vocabulary(), chars);
  EXPECT_EQ(tok.decode(tok.encode(text)), text);
}

TEST(CharTokenizer, UnicodeAndTheStoredVocabulary) {
  const std::string text = "na\xC3\xAFve caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87";
  const CharTokenizer fitted = CharTokenizer::fit(text);
  EXPECT_EQ(fitted.chars().front(), U' ');
  EXPECT_EQ(fitted.chars().back(), U'\U0001F600');
  const CharTokenizer stored(fitted.vocabulary());
  EXPECT_EQ(stored.chars(), fitted.chars());
  EXPECT_EQ(stored.encode(text), fitted.encode(text));
  EXPECT_EQ(stored.decode(stored.encode(text)), text);
}

TEST(CharTokenizer, ErrorsNameTheCharacterAndOffset) {
  const CharTokenizer tok = CharTokenizer::fit("abc ");
  std::string e = error_text([&] { tok.encode("ab caf\xC3\xA9"); });
  EXPECT_NE(e.find("character U+0066 'f' at byte offset 5"), std::string::npos) << e;
  e = error_text([&] { tok.encode("a\xC3\xA9"); });
  EXPECT_NE(e.find("U+00E9 '\xC3\xA9' at byte offset 1"), std::string::npos) << e;
  e = error_text([&] { tok.encode("a\n"); });
  EXPECT_NE(e.find("U+000A at byte offset 1"), std::string::npos) << e;
  e = error_text([&] { tok.encode("ab\xFF"); });
  EXPECT_NE(e.find("invalid UTF-8 at byte offset 2"), std::string::npos) << e;
  e = error_text([&] { tok.decode({4}); });
  EXPECT_NE(e.find("token id 4"), std::string::npos) << e;
  e = error_text([] { CharTokenizer::fit(""); });
  EXPECT_NE(e.find("is empty"), std::string::npos) << e;
  e = error_text([] { CharTokenizer bad("ba"); });
  EXPECT_NE(e.find("U+0061 'a' at position 1 is out of ascending order"), std::string::npos) << e;
  e = error_text([] { CharTokenizer bad("abb"); });
  EXPECT_NE(e.find("repeats the one before it"), std::string::npos) << e;
}

}  // namespace
}  // namespace strata::io
