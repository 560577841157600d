// The pre-tokenisation scanner on hand-worked cases of each regex rule; the
// reference test checks it on much more text through the full encoder.
#include <gtest/gtest.h>

#include "io/tokenizer/pretokenizer.hpp"
#include "io/tokenizer/utf8.hpp"
#include "test_text.hpp"

namespace strata::io {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view text) {
  Words words;
  for (const auto w : pretokenize(text)) words.emplace_back(w);
  return words;
}

TEST(Pretokenizer, LettersNumbersAndPunctuationTakeOneLeadingSpace) {
  EXPECT_EQ(split("Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(split("pi is 3.14!"), (Words{"pi", " is", " 3", ".", "14", "!"}));
  EXPECT_EQ(split(" 42!? x"), (Words{" 42", "!?", " x"}));
  EXPECT_EQ(split("a1b"), (Words{"a", "1", "b"}));
  EXPECT_EQ(split("e\xCC\x81t\xC3\xA9"), (Words{"e", "\xCC\x81", "t\xC3\xA9"}));
  EXPECT_EQ(split("\xC2\xA0word"), (Words{"\xC2\xA0", "word"}));  // only U+0020 attaches
  EXPECT_EQ(split(""), Words{});
}

TEST(Pretokenizer, Contractions) {
  EXPECT_EQ(split("I'm don't we'll they're I've he'd it's"),
            (Words{"I", "'m", " don", "'t", " we", "'ll", " they", "'re", " I", "'ve", " he", "'d",
                   " it", "'s"}));
  EXPECT_EQ(split("IT'S"), (Words{"IT", "'", "S"}));  // case-sensitive
  EXPECT_EQ(split("''s"), (Words{"''", "s"}));        // the punctuation run is greedy
  EXPECT_EQ(split(" 's"), (Words{" '", "s"}));
  EXPECT_EQ(split("'llama"), (Words{"'ll", "ama"}));
  EXPECT_EQ(split("'"), (Words{"'"}));
  EXPECT_EQ(split("don\xE2\x80\x99t"), (Words{"don", "\xE2\x80\x99", "t"}));
}

TEST(Pretokenizer, WhitespaceGivesBackItsLastCharacterBeforeNonSpace) {
  EXPECT_EQ(split("   x"), (Words{"  ", " x"}));
  EXPECT_EQ(split("a  \t b"), (Words{"a", "  \t", " b"}));
  EXPECT_EQ(split("\n\nx"), (Words{"\n", "\n", "x"}));
  EXPECT_EQ(split("\tx"), (Words{"\t", "x"}));
  EXPECT_EQ(split("x  "), (Words{"x", "  "}));  // at the end the run stays whole
  EXPECT_EQ(split(" "), (Words{" "}));
  EXPECT_EQ(split("x \n"), (Words{"x", " \n"}));
  EXPECT_EQ(split("a \xE3\x80\x80 b"), (Words{"a", " \xE3\x80\x80", " b"}));
}

TEST(Pretokenizer, TilesEveryStressDocument) {
  for (const std::string& raw : test::stress_documents(7)) {
    const std::string text = replace_invalid_utf8(raw);
    std::string joined;
    for (const auto w : pretokenize(text)) {
      ASSERT_FALSE(w.empty());
      joined += w;
    }
    ASSERT_EQ(joined, text);
  }
}

}  // namespace
}  // namespace strata::io
