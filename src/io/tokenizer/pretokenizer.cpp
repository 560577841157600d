// The GPT-2 pre-tokenisation scanner. Alternatives are tried in the regex's
// order at each start; the first that matches wins (not the longest).
#include "io/tokenizer/pretokenizer.hpp"

#include "io/tokenizer/unicode_tables.hpp"
#include "io/tokenizer/utf8.hpp"

namespace strata::io {

namespace {

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Class and byte length of the code point at pos.
CharClass class_at(std::string_view text, std::size_t pos, std::size_t& length) {
  const unsigned char* p = bytes_of(text) + pos;
  if (*p < 0x80) {
    length = 1;
    return kAsciiClass[*p];
  }
  char32_t cp = 0;
  length = decode_valid_utf8(p, cp);
  return char_class(cp);
}

// End of the run of code points of class `cls` starting at pos.
std::size_t run_end(std::string_view text, std::size_t pos, CharClass cls) {
  const unsigned char* p = bytes_of(text);
  const std::size_t n = text.size();
  while (pos < n) {
    if (p[pos] < 0x80) {  // the hot path: ASCII needs no decoding
      if (kAsciiClass[p[pos]] != cls) break;
      ++pos;
      continue;
    }
    std::size_t length = 0;
    if (class_at(text, pos, length) != cls) break;
    pos += length;
  }
  return pos;
}

// 's 't 're 've 'm 'll 'd, case-sensitive; returns the length or 0.
std::size_t contraction_length(std::string_view text, std::size_t pos) {
  if (pos + 1 >= text.size()) return 0;
  const char c = text[pos + 1];
  if (c == 's' || c == 't' || c == 'm' || c == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char c2 = text[pos + 2];
  if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) return 3;
  return 0;
}

// \s+(?!\S)|\s+ at pos. The greedy \s+ gives back code points until the
// next one is not a non-space: at the end of the text it keeps the whole
// run; before a non-space it keeps all but the last code point, unless the
// run is a single code point, which the plain \s+ then takes.
std::size_t whitespace_end(std::string_view text, std::size_t pos) {
  const std::size_t n = text.size();
  std::size_t last_start = pos;
  std::size_t count = 0;
  while (pos < n) {
    std::size_t length = 0;
    if (class_at(text, pos, length) != CharClass::space) break;
    last_start = pos;
    pos += length;
    ++count;
  }
  if (pos == n || count == 1) return pos;
  return last_start;
}

}  // namespace

std::size_t pretoken_end(std::string_view text, std::size_t begin) {
  const char first = text[begin];
  if (first == '\'') {
    if (const std::size_t length = contraction_length(text, begin)) return begin + length;
  }
  std::size_t length = 0;
  const CharClass cls = class_at(text, begin, length);
  if (cls != CharClass::space) return run_end(text, begin + length, cls);

  // " ?\p{L}+", " ?\p{N}+" and " ?[^\s\p{L}\p{N}]+" take one leading U+0020
  // (only that space) when a non-space follows it.
  if (first == ' ' && begin + 1 < text.size()) {
    std::size_t next_length = 0;
    const CharClass next = class_at(text, begin + 1, next_length);
    if (next != CharClass::space) return run_end(text, begin + 1 + next_length, next);
  }
  return whitespace_end(text, begin);
}

std::vector<std::string_view> pretokenize(std::string_view text) {
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = pretoken_end(text, pos);
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

}  // namespace strata::io
