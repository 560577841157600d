// Gpt2Bpe on known encodings, its loading errors, the comma-key quirk on a
// tiny handmade vocabulary, threads, heap vs scan merging, make_tokenizer.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/error_text.hpp"
#include "core/error.hpp"
#include "io/tokenizer/bpe_merges.hpp"
#include "io/tokenizer/byte_level.hpp"
#include "io/tokenizer/gpt2_bpe.hpp"
#include "io/tokenizer/gpt2_files.hpp"
#include "io/tokenizer/pretokenizer.hpp"
#include "io/tokenizer/utf8.hpp"
#include "test_text.hpp"

namespace strata::io {
namespace {

using Ids = std::vector<TokenId>;

const Gpt2Bpe& gpt2() {
  static const Gpt2Bpe tokenizer(test::gpt2_encoder_dir());
  return tokenizer;
}

// A scratch folder for handmade vocabulary files, removed afterwards.
class VocabDir {
 public:
  VocabDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("strata_tokenizer_test_" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~VocabDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  // encoder.json with the 256 byte tokens (ids 0..255 by byte) then `extra`.
  void write_encoder(const std::vector<std::string>& extra) const {
    nlohmann::json json = nlohmann::json::object();
    for (int b = 0; b < 256; ++b)
      json[symbol_text_from_bytes(std::string(1, static_cast<char>(b)))] = b;
    for (const auto& bytes : extra) json[symbol_text_from_bytes(bytes)] = json.size();
    write("encoder.json", json.dump());
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using strata::testing::error_text;

TEST(Gpt2Bpe, KnownEncodings) {
  const Gpt2Bpe& bpe = gpt2();
  EXPECT_EQ(bpe.name(), "gpt2-bpe");
  EXPECT_EQ(bpe.vocab_size(), 50257u);
  EXPECT_EQ(bpe.end_of_text(), TokenId{50256});
  EXPECT_EQ(bpe.encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(bpe.encode(" the\n"), (Ids{262, 198}));
  EXPECT_EQ(bpe.encode("I'm here"), (Ids{40, 1101, 994}));
  EXPECT_EQ(bpe.encode("   x"), (Ids{220, 220, 2124}));
  EXPECT_EQ(bpe.encode("1234567"), (Ids{10163, 2231, 3134}));
  EXPECT_EQ(bpe.encode("caf\xC3\xA9 \xF0\x9F\x98\x80"), (Ids{66, 1878, 2634, 30325, 222}));
  // Special tokens are ordinary text to the encoder, as in Encoder.js.
  EXPECT_EQ(bpe.encode("<|endoftext|>"), (Ids{27, 91, 437, 1659, 5239, 91, 29}));
  EXPECT_EQ(bpe.encode(""), Ids{});
  // Invalid UTF-8 is read as U+FFFD, like node reading the file.
  EXPECT_EQ(bpe.encode("a\x80"), bpe.encode("a\xEF\xBF\xBD"));
}

TEST(Gpt2Bpe, DecodeGivesTheBytesBack) {
  const Gpt2Bpe& bpe = gpt2();
  EXPECT_EQ(bpe.decode({15496, 995}), "Hello world");
  EXPECT_EQ(bpe.decode({50256}), "<|endoftext|>");
  // 30325 is " " plus the emoji's first three bytes, 222 its last: alone, 30325 is partial.
  EXPECT_EQ(bpe.decode({30325, 222}), " \xF0\x9F\x98\x80");
  EXPECT_FALSE(is_valid_utf8(bpe.decode({30325})));
  const std::string bad = error_text([&] { bpe.decode({50257}); });
  EXPECT_NE(bad.find("token id 50257"), std::string::npos) << bad;
  for (const std::string& doc : test::stress_documents(11)) {
    ASSERT_EQ(bpe.decode(bpe.encode(doc)), replace_invalid_utf8(doc));
  }
}

TEST(Gpt2Bpe, CopiesAndThreadsAgree) {
  const std::vector<std::string> docs = test::stress_documents(3);
  std::string text;
  for (const auto& d : docs) text += d;
  const Ids expected = gpt2().encode(text);
  std::vector<Ids> got(4);
  std::vector<std::thread> threads;
  for (auto& ids : got) threads.emplace_back([&] { ids = gpt2().encode(text); });
  for (auto& t : threads) t.join();
  for (const auto& ids : got) EXPECT_EQ(ids, expected);
  const Gpt2Bpe copy = gpt2();  // shares tables, fresh cache
  EXPECT_EQ(copy.encode(text), expected);
  Ids appended = {1, 2};
  copy.encode_append("Hello world", appended);
  EXPECT_EQ(appended, (Ids{1, 2, 15496, 995}));
}

TEST(Gpt2Bpe, MissingAndCorruptFilesNameTheFile) {
  VocabDir dir;
  std::string e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("encoder.json"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot open"), std::string::npos) << e;
  EXPECT_NE(e.find("fetch-data.sh"), std::string::npos) << e;

  dir.write("encoder.json", "{\"a\": 0,");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("encoder.json: is not valid JSON"), std::string::npos) << e;

  dir.write("encoder.json", "{\"a\": 0, \"b\": 7}");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("\"b\" has id 7"), std::string::npos) << e;

  dir.write("encoder.json", "{\"a\": 0, \"b\": 1}");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("no token for the single byte 0x0"), std::string::npos) << e;

  dir.write_encoder({"ab"});
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("vocab.bpe: cannot open"), std::string::npos) << e;

  dir.write("vocab.bpe", "a b\n");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("'#version'"), std::string::npos) << e;

  dir.write("vocab.bpe", "#version: 0.2\na b\nab\n");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("vocab.bpe, line 3: a merge line must hold two symbols"), std::string::npos)
      << e;

  dir.write("vocab.bpe", "#version: 0.2\na b\n\xC5\x84 b\n");
  e = error_text([&] { Gpt2Bpe bpe(dir.path()); });
  EXPECT_NE(e.find("line 3: contains U+0144"), std::string::npos) << e;

  dir.write("vocab.bpe", "#version: 0.2\na b\n");
  EXPECT_EQ(Gpt2Bpe(dir.path()).encode("abab"), (Ids{256, 256}));
}

// The reference looks merges up by the string first + "," + second, so the
// symbols `",` + `"` find the merge written as `"` + `,"` (key `",,"`).
TEST(Gpt2Bpe, CommaJoinedKeysCollideAsInEncoderJs) {
  VocabDir dir;
  dir.write_encoder({"\",", "\",\""});  // ids 256, 257
  dir.write("vocab.bpe", "#version: 0.2\n\" ,\n\" ,\"\n");
  // `"` `,` `"` -> `",` `"` (rank 0) -> `","` via the rank of `" ,"` (rank 1).
  // A plain BPE would stop at [256, '"'].
  EXPECT_EQ(Gpt2Bpe(dir.path()).encode("\",\""), (Ids{257}));

  // Without a final newline the reference drops the last merge line.
  dir.write("vocab.bpe", "#version: 0.2\n\" ,\n\" ,\"");
  EXPECT_EQ(Gpt2Bpe(dir.path()).encode("\",\""), (Ids{256, '"'}));
}

// The heap merge (long words) against the plain rescanning one.
TEST(BpeMerges, HeapAndScanAgree) {
  Gpt2VocabFiles files = read_gpt2_vocab_files(test::gpt2_encoder_dir());
  const BpeMerges merges(std::move(files.token_bytes), files.merges);
  BpeMerges::Scratch scan;
  BpeMerges::Scratch heap;
  std::size_t words = 0;
  const auto check = [&](std::string_view word) {
    merges.merge_scan(word, scan);
    merges.merge_heap(word, heap);
    ASSERT_EQ(scan.symbols, heap.symbols) << "word \"" << std::string(word) << "\"";
    ++words;
  };
  for (const std::string& doc : test::stress_documents(5)) {
    const std::string text = replace_invalid_utf8(doc);
    for (const auto word : pretokenize(text)) check(word);
  }
  test::SplitMix64 rng(17);
  const std::string letters = "etaoinshrdlucmfwyp";
  for (int i = 0; i < 300; ++i) {
    std::string word = rng.below(2) ? " " : "";
    for (std::size_t n = 1 + rng.below(400); n > 0; --n) word += letters[rng.below(letters.size())];
    check(word);
  }
  EXPECT_GT(words, 1000u);
}

TEST(MakeTokenizer, BuildsByNameAndRefusesWhatItCannotBuild) {
  TokenizerSource source;
  source.gpt2_dir = test::gpt2_encoder_dir();
  const auto bpe = make_tokenizer("gpt2-bpe", source);
  EXPECT_EQ(bpe->name(), "gpt2-bpe");
  EXPECT_EQ(bpe->encode("Hello world"), (Ids{15496, 995}));

  source.char_training_text = "hello";
  const auto fitted = make_tokenizer("char", source);
  EXPECT_EQ(fitted->vocab_size(), 4u);
  source.char_vocabulary = "abc";
  EXPECT_EQ(make_tokenizer("char", source)->encode("cab"), (Ids{2, 0, 1}));

  std::string e = error_text([&] { make_tokenizer("sentencepiece", source); });
  EXPECT_NE(e.find("tokenizer 'sentencepiece'"), std::string::npos) << e;
  EXPECT_NE(e.find("gpt2-bpe, char"), std::string::npos) << e;
  e = error_text([&] { make_tokenizer("gpt2-bpe", TokenizerSource{}); });
  EXPECT_NE(e.find("encoder.json and vocab.bpe"), std::string::npos) << e;
  e = error_text([&] { make_tokenizer("char", TokenizerSource{}); });
  EXPECT_NE(e.find("neither a stored vocabulary"), std::string::npos) << e;
}

}  // namespace
}  // namespace strata::io
