// Brown tag stripping and detokenization. Kept deliberately simple and
// table-driven: the rule is documented in docs/data.md and tested on a fixture.
#include "io/corpus/brown.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace strata::io {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool equals_lower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(word[i])) != lower[i]) return false;
  return true;
}

bool is_closing(std::string_view word) {
  static constexpr std::array<std::string_view, 18> kClosing = {
      ".", ",",  ";",  ":",   "?",   "!",   ")",  "]",  "}",
      "'", "''", "'s", "'re", "'ve", "'ll", "'d", "'m", "n't"};
  for (const std::string_view closing : kClosing)
    if (equals_lower(word, closing)) return true;
  return false;
}

bool is_opening(std::string_view word) {
  return word == "``" || word == "(" || word == "[" || word == "{";
}

// The word part of "word/tag". A token without a slash is kept whole: the
// corpus has none, but other tagged text fed here should not lose words.
std::string_view word_of(std::string_view token) {
  const std::size_t slash = token.rfind('/');
  return slash == std::string_view::npos ? token : token.substr(0, slash);
}

std::string sentence_text(std::string_view line) {
  std::string out;
  bool glue_next = true;  // no space before the first word or after an opener
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t begin = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (begin == i) break;
    const std::string_view word = word_of(line.substr(begin, i - begin));
    if (word.empty()) continue;
    if (!glue_next && !is_closing(word)) out += ' ';
    out += (word == "``" || word == "''") ? std::string_view("\"") : word;
    glue_next = is_opening(word);
  }
  return out;
}

}  // namespace

std::string brown_to_text(std::string_view tagged) {
  std::vector<std::string> paragraph;
  std::string out;
  auto flush_paragraph = [&] {
    if (paragraph.empty()) return;
    if (!out.empty()) out += '\n';  // blank line between paragraphs
    for (const std::string& sentence : paragraph) out += sentence + '\n';
    paragraph.clear();
  };
  std::size_t start = 0;
  while (start <= tagged.size()) {
    std::size_t end = tagged.find('\n', start);
    if (end == std::string_view::npos) end = tagged.size();
    std::string sentence = sentence_text(tagged.substr(start, end - start));
    if (sentence.empty())
      flush_paragraph();
    else
      paragraph.push_back(std::move(sentence));
    start = end + 1;
  }
  flush_paragraph();
  return out;
}

bool is_brown_file_name(std::string_view name) {
  return name.size() == 4 && name[0] == 'c' && name[1] >= 'a' && name[1] <= 'r' &&
         std::isdigit(static_cast<unsigned char>(name[2])) &&
         std::isdigit(static_cast<unsigned char>(name[3]));
}

}  // namespace strata::io
