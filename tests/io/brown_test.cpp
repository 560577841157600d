// Brown tag stripping on a fixture written for the rule's corner cases:
// quotes, clitics, brackets, a slash inside a word, headlines, paragraphs.
#include <gtest/gtest.h>

#include <string>

#include "io/corpus/brown.hpp"
#include "io/corpus/text_source.hpp"

namespace strata::io {
namespace {

const std::string kFixture = STRATA_IO_FIXTURES "/brown";

TEST(Brown, StripsTagsAndAttachesPunctuation) {
  const std::string tagged = read_text_file(kFixture + "/ca01", "fixture");
  EXPECT_EQ(brown_to_text(tagged),
            "The Fulton County said \"no evidence\" was found.\n"
            "\n"
            "It didn't say (or deny) that Jones's 1/2 share, \"small\", was gone; right?\n"
            "He said: yes!\n");
}

TEST(Brown, SplitsAtTheLastSlashAndKeepsSlashlessTokens) {
  EXPECT_EQ(brown_to_text("and/or/cc 1/2/cd plain\n"), "and/or 1/2 plain\n");
  EXPECT_EQ(brown_to_text(""), "");
  EXPECT_EQ(brown_to_text("\n\n\t\n"), "");
}

TEST(Brown, ClosingAndOpeningTokens) {
  EXPECT_EQ(brown_to_text("She/pps 's/bez ``/`` (/( in/in )/) ''/'' !/. 'em/ppo\n"),
            "She's \"(in)\"! 'em\n");
  EXPECT_EQ(brown_to_text("``/`` ``/`` deep/jj ''/'' ''/''\n"), "\"\"deep\"\"\n");
}

TEST(Brown, RecognisesCorpusFileNames) {
  EXPECT_TRUE(is_brown_file_name("ca01"));
  EXPECT_TRUE(is_brown_file_name("cr09"));
  EXPECT_FALSE(is_brown_file_name("cs01"));
  EXPECT_FALSE(is_brown_file_name("README"));
  EXPECT_FALSE(is_brown_file_name("ca1"));
}

TEST(Brown, CorpusDirectoryInNameOrderSkippingOtherFiles) {
  const TextSource source = load_text_source("brown:" + kFixture);
  EXPECT_EQ(source.files, 2u);
  EXPECT_EQ(source.text,
            "The Fulton County said \"no evidence\" was found.\n"
            "\n"
            "It didn't say (or deny) that Jones's 1/2 share, \"small\", was gone; right?\n"
            "He said: yes!\n"
            "\n"
            "Second file\n"
            "She's here.\n");
  ASSERT_EQ(source.document_starts.size(), 2u);
  EXPECT_EQ(source.text.substr(source.document_starts[1], 6), "Second");
  EXPECT_NE(source.text.find("not part"), 0u);
  EXPECT_EQ(source.text.find("not part"), std::string::npos);
}

}  // namespace
}  // namespace strata::io
