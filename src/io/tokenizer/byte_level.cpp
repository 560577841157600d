// The byte <-> symbol character tables of GPT-2's byte-level BPE.
#include "io/tokenizer/byte_level.hpp"

#include <array>

#include "io/tokenizer/utf8.hpp"

namespace strata::io {

namespace {

struct ByteLevelTables {
  std::array<char32_t, 256> to_char{};
  std::array<std::int16_t, 324> to_byte{};  // indexed by code point < 0x144
};

const ByteLevelTables& tables() {
  static const ByteLevelTables t = [] {
    ByteLevelTables built;
    built.to_byte.fill(-1);
    // Bytes that print as themselves keep their code point; the rest are
    // numbered from U+0100 in byte order.
    const auto prints = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const char32_t cp = prints(b) ? static_cast<char32_t>(b) : next++;
      built.to_char[b] = cp;
      built.to_byte[cp] = static_cast<std::int16_t>(b);
    }
    return built;
  }();
  return t;
}

}  // namespace

char32_t byte_to_symbol_char(std::uint8_t byte) { return tables().to_char[byte]; }

int symbol_char_to_byte(char32_t cp) {
  return cp < tables().to_byte.size() ? tables().to_byte[cp] : -1;
}

std::optional<std::string> bytes_from_symbol_text(std::string_view text, char32_t& bad) {
  std::string bytes;
  bytes.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Step step = decode_utf8_step(text, pos);
    const int byte = step.valid ? symbol_char_to_byte(step.cp) : -1;
    if (byte < 0) {
      bad = step.cp;
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>(byte));
    pos += step.length;
  }
  return bytes;
}

std::string symbol_text_from_bytes(std::string_view bytes) {
  std::string text;
  for (const char c : bytes) append_utf8(text, byte_to_symbol_char(static_cast<std::uint8_t>(c)));
  return text;
}

}  // namespace strata::io
