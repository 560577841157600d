// GPT-2's pre-tokenisation: splits text into the words that BPE merges
// within. A hand-written scanner with the exact semantics of the JavaScript
// regex the reference encoder (npm gpt-3-encoder) runs with the u flag:
//   /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace strata::io {

// End (byte offset) of the pre-token that starts at `begin`. `text` must be
// valid UTF-8 and begin < text.size(). Pre-tokens tile the text: the next
// one starts where this one ends.
std::size_t pretoken_end(std::string_view text, std::size_t begin);

// All pre-tokens of valid UTF-8 `text`, in order.
std::vector<std::string_view> pretokenize(std::string_view text);

}  // namespace strata::io
