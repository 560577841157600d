// Gpt2Bpe against node running the npm package's own Encoder.js: Brown prose
// plus stress text, and a fuzzed vocabulary full of comma-joined key
// collisions. Token for token; the first mismatch is reported with context.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "io/tokenizer/byte_level.hpp"
#include "io/tokenizer/gpt2_bpe.hpp"
#include "io/tokenizer/pretokenizer.hpp"
#include "io/tokenizer/utf8.hpp"
#include "test_text.hpp"

namespace strata::io {
namespace {

using Docs = std::vector<std::string>;

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Printable ASCII as is, everything else escaped, for failure messages.
std::string escaped(std::string_view bytes) {
  std::ostringstream out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '\n') {
      out << "\\n";
    } else if (b >= 0x20 && b < 0x7F && b != '\\') {
      out << c;
    } else {
      out << "\\x" << std::hex << (b >> 4) << (b & 15) << std::dec;
    }
  }
  return out.str();
}

class ScratchDir {
 public:
  ScratchDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("strata_tokenizer_reference_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs tests/tokenizer/reference_encode.js on `docs` with the Encoder.js in
// `encoder_dir`. Fails the test (never skips) when node cannot run.
nlohmann::json node_encode(const std::filesystem::path& encoder_dir, const Docs& docs,
                           const ScratchDir& scratch) {
  const std::string node = STRATA_NODE_EXECUTABLE;
  if (std::system((node + " --version > /dev/null 2>&1").c_str()) != 0) {
    ADD_FAILURE() << "cannot run node ('" << node << "'), which runs the reference GPT-2 "
                  << "encoder; install nodejs (apt-get install nodejs) and reconfigure";
    return nullptr;
  }
  std::string lengths = "[";
  for (const auto& d : docs) lengths += (lengths.size() > 1 ? "," : "") + std::to_string(d.size());
  {
    std::ofstream in(scratch / "input.bin", std::ios::binary);
    in << lengths << "]\n";
    for (const auto& d : docs) in << d;
  }
  const std::string command = node + " " + quoted(STRATA_REFERENCE_ENCODE_JS) + " " +
                              quoted(encoder_dir) + " " + quoted(scratch / "input.bin") + " " +
                              quoted(scratch / "output.json") + " 2> " +
                              quoted(scratch / "stderr.txt");
  if (std::system(command.c_str()) != 0) {
    std::ifstream err(scratch / "stderr.txt");
    ADD_FAILURE() << "the reference encoder failed: " << command << "\n" << err.rdbuf();
    return nullptr;
  }
  std::ifstream out(scratch / "output.json");
  return nlohmann::json::parse(out);
}

// Compares every document; on the first mismatch says where, with the
// tokens and the text around it.
void expect_same_tokens(const Gpt2Bpe& bpe, const Docs& docs, const nlohmann::json& expected) {
  ASSERT_TRUE(expected.is_array());
  ASSERT_EQ(expected.size(), docs.size());
  std::size_t tokens = 0;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const std::vector<TokenId> got = bpe.encode(docs[d]);
    const auto& want = expected[d];
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && want[i].is_number() && want[i] == got[i]) ++i;
    if (i == got.size() && i == want.size()) {
      tokens += got.size();
      continue;
    }
    const std::string text = replace_invalid_utf8(docs[d]);
    std::vector<TokenId> prefix(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(i));
    const std::size_t offset = bpe.decode(prefix).size();
    std::ostringstream context;
    for (std::size_t k = (i < 4 ? 0 : i - 4); k < i + 4; ++k) {
      context << "  [" << k << "] node " << (k < want.size() ? want[k].dump() : "-") << "  ours "
              << (k < got.size() ? std::to_string(got[k]) : "-") << "\n";
    }
    const std::size_t from = offset < 40 ? 0 : offset - 40;
    FAIL() << "document " << d << " (" << docs[d].size() << " bytes): first mismatch at token " << i
           << ", byte " << offset << "\n"
           << context.str() << "  text before: \"" << escaped(text.substr(from, offset - from))
           << "\"\n  text after:  \"" << escaped(text.substr(offset, 60)) << "\"";
  }
  EXPECT_GT(tokens, 0u);
}

TEST(Gpt2Reference, MatchesEncoderJsTokenForToken) {
  Docs docs = test::brown_documents(220 * 1000, 29);
  const Docs stress = test::stress_documents(2024);
  docs.insert(docs.end(), stress.begin(), stress.end());
  ScratchDir scratch;
  const nlohmann::json expected = node_encode(test::gpt2_encoder_dir(), docs, scratch);
  if (expected.is_null()) return;
  const Gpt2Bpe bpe(test::gpt2_encoder_dir());
  expect_same_tokens(bpe, docs, expected);
  for (const auto& doc : docs) ASSERT_EQ(bpe.decode(bpe.encode(doc)), replace_invalid_utf8(doc));
}

// A vocabulary over punctuation (one pre-token class, so commas meet other
// symbols inside a word) whose merges collide under the key first + "," +
// second in every way: alternative splits, repeated keys, a missing final
// newline. Node and we must still agree.
TEST(Gpt2Reference, MatchesEncoderJsOnCollidingCommaKeys) {
  test::SplitMix64 rng(99);
  const std::string alphabet = ",,\"\".";
  std::vector<std::string> pool = {",", "\"", ".", ")", " ,", " \""};
  std::set<std::string> vocab(pool.begin(), pool.end());
  std::vector<std::pair<std::string, std::string>> merges;
  for (int k = 0; k < 600; ++k) {
    const std::size_t pick = rng.below(10);
    if (pick == 0 && !merges.empty()) {  // the same line again: a later rank for one key
      merges.push_back(merges[rng.below(merges.size())]);
    } else if (pick == 1 && !merges.empty()) {  // another split of an existing key
      const auto& [a, b] = merges[rng.below(merges.size())];
      const std::string key = a + "," + b;
      const std::size_t comma = key.find(',', rng.below(key.size()));
      if (comma != std::string::npos && comma > 0 && comma + 1 < key.size()) {
        merges.emplace_back(key.substr(0, comma), key.substr(comma + 1));
      }
    } else {
      const std::string& a = pool[rng.below(pool.size())];
      const std::string& b = pool[rng.below(pool.size())];
      if (b[0] == ' ' || a.size() + b.size() > 8) continue;
      merges.emplace_back(a, b);
      if (vocab.insert(a + b).second) pool.push_back(a + b);
    }
  }
  // Every string any split of any key can merge into must be a token, or
  // Encoder.js would emit `undefined`.
  for (const auto& [a, b] : merges) {
    const std::string key = a + "," + b;
    for (std::size_t c = key.find(','); c != std::string::npos; c = key.find(',', c + 1)) {
      if (c > 0 && c + 1 < key.size()) vocab.insert(key.substr(0, c) + key.substr(c + 1));
    }
  }
  ScratchDir scratch;
  const std::filesystem::path dir = scratch / "vocab";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(test::gpt2_encoder_dir() / "Encoder.js", dir / "Encoder.js");
  nlohmann::json encoder = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    encoder[symbol_text_from_bytes(std::string(1, static_cast<char>(b)))] = b;
  }
  for (const auto& token : vocab) {
    if (token.size() > 1) encoder[symbol_text_from_bytes(token)] = encoder.size();
  }
  std::ofstream(dir / "encoder.json") << encoder.dump();
  std::string merges_text = "#version: 0.2";
  for (const auto& [a, b] : merges) {
    merges_text += "\n" + symbol_text_from_bytes(a) + " " + symbol_text_from_bytes(b);
  }
  std::ofstream(dir / "vocab.bpe", std::ios::binary) << merges_text;  // no final newline

  Docs docs;
  for (int d = 0; d < 3000; ++d) {
    std::string doc;
    for (std::size_t w = 1 + rng.below(4); w > 0; --w) {
      if (rng.below(2) == 0) doc += ' ';
      for (std::size_t n = 1 + rng.below(rng.below(8) == 0 ? 120 : 16); n > 0; --n)
        doc += alphabet[rng.below(alphabet.size())];
      doc += 'x';
    }
    docs.push_back(doc);
  }
  const nlohmann::json expected = node_encode(dir, docs, scratch);
  if (expected.is_null()) return;
  expect_same_tokens(Gpt2Bpe(dir), docs, expected);
}

}  // namespace
}  // namespace strata::io
