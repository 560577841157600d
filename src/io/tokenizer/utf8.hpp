// UTF-8 decoding as the WHATWG Encoding Standard defines it (what node does
// when it reads a file as 'utf8'): each maximal invalid subsequence becomes
// one U+FFFD. Tokenizers work on the repaired text so they agree with node.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata::io {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// One decoding step at `pos`: the code point (U+FFFD when invalid), how many
// bytes it consumed (the maximal subpart when invalid), and whether it was valid.
struct Utf8Step {
  char32_t cp;
  std::size_t length;
  bool valid;
};
Utf8Step decode_utf8_step(std::string_view text, std::size_t pos);

bool is_valid_utf8(std::string_view text);

// `text` with every invalid subsequence replaced by U+FFFD (EF BF BD).
std::string replace_invalid_utf8(std::string_view text);

void append_utf8(std::string& out, char32_t cp);

// "U+00E9" style name for error messages.
std::string code_point_name(char32_t cp);

// Decodes the code point starting at p in text already known to be valid.
// Returns its length in bytes (1..4).
inline std::size_t decode_valid_utf8(const unsigned char* p, char32_t& cp) {
  const unsigned char b = p[0];
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  if (b < 0xE0) {
    cp = (char32_t(b & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b < 0xF0) {
    cp = (char32_t(b & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  cp = (char32_t(b & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) |
       (p[3] & 0x3F);
  return 4;
}

}  // namespace strata::io
