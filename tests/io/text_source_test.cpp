// Loading text for strata-prep (file, directory, errors) and the choice of
// the train/val cut.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "core/error.hpp"
#include "io/corpus/text_source.hpp"
#include "io_test_support.hpp"

namespace strata::io {
namespace {

std::string error_of(const std::string& spec) {
  try {
    load_text_source(spec);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(TextSource, SingleFileIsTakenByteForByte) {
  const testing::ScratchDir scratch("text");
  const std::string& dir = scratch.path();
  testing::write_text(dir + "/a.txt", "line one\r\n\nline two");
  const TextSource source = load_text_source(dir + "/a.txt");
  EXPECT_EQ(source.text, "line one\r\n\nline two");
  EXPECT_EQ(source.bytes_read, source.text.size());
}

TEST(TextSource, DirectoryJoinsDocumentsInNameOrder) {
  const testing::ScratchDir scratch("textdir");
  const std::string& dir = scratch.path();
  testing::write_text(dir + "/b.txt", "second\n\n\n");
  testing::write_text(dir + "/a.txt", "first");
  testing::write_text(dir + "/.hidden", "never");
  testing::write_text(dir + "/c.txt", "");
  const TextSource source = load_text_source(dir);
  EXPECT_EQ(source.text, "first\n\nsecond\n");
  EXPECT_EQ(source.files, 3u);
  EXPECT_EQ(source.document_starts, (std::vector<std::size_t>{0, 7}));
}

TEST(TextSource, ErrorsNameTheInput) {
  const testing::ScratchDir scratch("texterr");
  const std::string& dir = scratch.path();
  EXPECT_NE(error_of(dir + "/missing.txt").find("does not exist"), std::string::npos);
  EXPECT_NE(error_of(dir + "/missing.txt").find("--input " + dir + "/missing.txt"),
            std::string::npos);
  testing::write_text(dir + "/empty.txt", " \n\n");
  EXPECT_NE(error_of(dir + "/empty.txt").find("holds no text"), std::string::npos);
  EXPECT_NE(error_of("brown:" + dir).find("no Brown corpus files"), std::string::npos);
  EXPECT_NE(error_of("brown:").find("names no path"), std::string::npos);
}

TEST(TextSource, ValidationCutPrefersDocumentThenParagraphThenLine) {
  TextSource source;
  source.text = std::string(80, 'a') + "\n\n" + std::string(30, 'b') + "\n";
  source.document_starts = {0};
  // 10% of 113 bytes: target 101, boundaries looked for in [95, 107]: none,
  // so the cut stays exact.
  EXPECT_EQ(validation_start(source, 0.1), 101u);
  EXPECT_EQ(validation_start(source, 0.3), 82u);  // target 79: the paragraph break
  source.document_starts = {0, 82};
  EXPECT_EQ(validation_start(source, 0.3), 82u);
  EXPECT_EQ(validation_start(source, 0.0), source.text.size());
  source.text = std::string(50, 'x') + "\n" + std::string(49, 'y');
  source.document_starts = {0};
  EXPECT_EQ(validation_start(source, 0.6), 51u);  // target 40: the line break at 50
  source.text = std::string(50, 'a') + "\n\n" + std::string(48, 'b');
  EXPECT_EQ(validation_start(source, 0.4), 52u);  // target 60: the paragraph break before it
}

}  // namespace
}  // namespace strata::io
