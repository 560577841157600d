// CharTokenizer: fitting, the stored vocabulary, encode and decode.
#include "io/tokenizer/char_tokenizer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/tokenizer/utf8.hpp"

namespace strata::io {

namespace {

constexpr TokenId kAbsent = ~TokenId{0};

std::string describe(char32_t cp) {
  std::string text = code_point_name(cp);
  if (cp >= 0x20 && !(cp >= 0x7F && cp < 0xA0)) {  // show printable characters too
    text += " '";
    append_utf8(text, cp);
    text += "'";
  }
  return text;
}

// The code points of `text`, which must be valid UTF-8; `what` names the
// text in the error.
std::vector<char32_t> decode_strict(std::string_view text, const std::string& what) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Step step = decode_utf8_step(text, pos);
    if (!step.valid) {
      throw_input_error(what, "has invalid UTF-8 at byte offset " + std::to_string(pos),
                        "convert the text to UTF-8 (e.g. iconv -t UTF-8) before tokenizing");
    }
    cps.push_back(step.cp);
    pos += step.length;
  }
  return cps;
}

}  // namespace

CharTokenizer CharTokenizer::fit(std::string_view text) {
  std::vector<char32_t> cps = decode_strict(text, "char tokenizer training text");
  std::sort(cps.begin(), cps.end());
  cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
  if (cps.empty()) {
    throw_input_error("char tokenizer training text", "is empty",
                      "fit the char tokenizer on the training text itself");
  }
  return CharTokenizer(std::move(cps));
}

CharTokenizer::CharTokenizer(std::string_view vocabulary)
    : CharTokenizer([&] {
        std::vector<char32_t> cps = decode_strict(vocabulary, "char tokenizer vocabulary");
        const char* fix =
            "store the vocabulary exactly as CharTokenizer::vocabulary() returns it: each "
            "character once, in ascending code point order";
        if (cps.empty()) throw_input_error("char tokenizer vocabulary", "is empty", fix);
        for (std::size_t i = 1; i < cps.size(); ++i) {
          if (cps[i] <= cps[i - 1]) {
            throw_input_error("char tokenizer vocabulary",
                              describe(cps[i]) + " at position " + std::to_string(i) +
                                  (cps[i] == cps[i - 1] ? " repeats the one before it"
                                                        : " is out of ascending order"),
                              fix);
          }
        }
        return cps;
      }()) {}

CharTokenizer::CharTokenizer(std::vector<char32_t> chars)
    : chars_(std::move(chars)), ascii_ids_(128, kAbsent) {
  for (TokenId id = 0; id < chars_.size(); ++id) {
    append_utf8(vocabulary_, chars_[id]);
    if (chars_[id] < 128) {
      ascii_ids_[chars_[id]] = id;
    } else {
      other_ids_.emplace(chars_[id], id);
    }
  }
}

std::vector<TokenId> CharTokenizer::encode(std::string_view text) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Step step = decode_utf8_step(text, pos);
    if (!step.valid) {
      throw_input_error("text to encode", "has invalid UTF-8 at byte offset " + std::to_string(pos),
                        "convert the text to UTF-8 (e.g. iconv -t UTF-8) before tokenizing");
    }
    TokenId id = kAbsent;
    if (step.cp < 128) {
      id = ascii_ids_[step.cp];
    } else if (const auto it = other_ids_.find(step.cp); it != other_ids_.end()) {
      id = it->second;
    }
    if (id == kAbsent) {
      throw_input_error("text to encode",
                        "character " + describe(step.cp) + " at byte offset " +
                            std::to_string(pos) + " is not in the char vocabulary (" +
                            std::to_string(chars_.size()) + " characters)",
                        "fit the char tokenizer on text that contains every character you will "
                        "encode, or remove the character from the input");
    }
    ids.push_back(id);
    pos += step.length;
  }
  return ids;
}

std::string CharTokenizer::decode(const std::vector<TokenId>& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (const TokenId id : ids) {
    if (id >= chars_.size()) {
      throw_input_error(
          "token id " + std::to_string(id),
          "is outside the char vocabulary (0.." + std::to_string(chars_.size() - 1) + ")",
          "decode ids produced by this char tokenizer; check the token file's "
          "`tokenizer` attribute and stored vocabulary");
    }
    append_utf8(text, chars_[id]);
  }
  return text;
}

}  // namespace strata::io
