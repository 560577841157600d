// Code point classes for GPT-2's pre-tokenisation regex: JavaScript's \p{L},
// \p{N} and \s. The data is generated from node (tools/unicode/gen_tables.js)
// so the scanner classifies exactly as the reference encoder does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::io {

// The three classes are disjoint; everything else is `other`, which is what
// the regex's [^\s\p{L}\p{N}] matches (punctuation, symbols, marks, controls).
enum class CharClass : std::uint8_t { other, letter, number, space };

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
  CharClass cls;
};

extern const CharClass kAsciiClass[128];
extern const CodePointRange kClassRanges[];  // sorted, disjoint, non-ASCII only
extern const std::size_t kClassRangeCount;

CharClass char_class_non_ascii(char32_t cp);

inline CharClass char_class(char32_t cp) {
  return cp < 128 ? kAsciiClass[cp] : char_class_non_ascii(cp);
}

}  // namespace strata::io
