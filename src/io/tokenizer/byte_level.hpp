// GPT-2's byte-level alphabet: each of the 256 bytes is shown as one
// printable code point (printable Latin-1 bytes as themselves, the others as
// U+0100 upward), so encoder.json and vocab.bpe can spell byte strings as text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::io {

char32_t byte_to_symbol_char(std::uint8_t byte);

// The byte a symbol character stands for, or -1 if it stands for none.
int symbol_char_to_byte(char32_t cp);

// Decodes a byte-level spelling (valid UTF-8 text) to the bytes it stands
// for. On failure returns nullopt and sets `bad` to the offending code point.
std::optional<std::string> bytes_from_symbol_text(std::string_view text, char32_t& bad);

// The byte-level spelling of `bytes` (for messages and tests).
std::string symbol_text_from_bytes(std::string_view bytes);

}  // namespace strata::io
