// Gpt2Bpe: repair UTF-8, split into pre-tokens, merge each (memoised per
// word), and map symbols to token ids.
#include "io/tokenizer/gpt2_bpe.hpp"

#include "core/error.hpp"
#include "io/tokenizer/bpe_merges.hpp"
#include "io/tokenizer/gpt2_files.hpp"
#include "io/tokenizer/pretokenizer.hpp"
#include "io/tokenizer/utf8.hpp"
#include "io/tokenizer/word_cache.hpp"

namespace strata::io {

namespace {

// Longer pre-tokens (long runs of spaces, digits or symbols) are rare and
// would only bloat the cache.
constexpr std::size_t kMaxCachedWordBytes = 128;

}  // namespace

Gpt2Bpe::Gpt2Bpe(const std::filesystem::path& dir) : caches_(std::make_unique<WordCachePool>()) {
  Gpt2VocabFiles files = read_gpt2_vocab_files(dir);
  for (TokenId id = 0; id < files.token_bytes.size(); ++id) {
    if (files.token_bytes[id] == "<|endoftext|>") end_of_text_ = id;
  }
  merges_ = std::make_shared<const BpeMerges>(std::move(files.token_bytes), files.merges);
}

Gpt2Bpe::Gpt2Bpe(const Gpt2Bpe& other)
    : merges_(other.merges_),
      caches_(std::make_unique<WordCachePool>()),
      end_of_text_(other.end_of_text_) {}
Gpt2Bpe::Gpt2Bpe(Gpt2Bpe&&) noexcept = default;
Gpt2Bpe& Gpt2Bpe::operator=(Gpt2Bpe&&) noexcept = default;
Gpt2Bpe::~Gpt2Bpe() = default;

std::uint32_t Gpt2Bpe::vocab_size() const {
  return static_cast<std::uint32_t>(merges_->token_count());
}

std::vector<TokenId> Gpt2Bpe::encode(std::string_view text) const {
  std::vector<TokenId> ids;
  encode_append(text, ids);
  return ids;
}

void Gpt2Bpe::encode_append(std::string_view text, std::vector<TokenId>& out) const {
  std::string repaired;
  if (!is_valid_utf8(text)) {
    repaired = replace_invalid_utf8(text);
    text = repaired;
  }
  out.reserve(out.size() + text.size() / 4 + 1);
  auto lease = caches_->take();
  WordCache& cache = *lease;
  BpeMerges::Scratch scratch;
  const auto token_count = merges_->token_count();

  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = pretoken_end(text, pos);
    const std::string_view word = text.substr(pos, end - pos);
    pos = end;
    const WordCache::Hit hit = cache.find(word);
    if (hit.count != 0) {
      out.insert(out.end(), hit.ids, hit.ids + hit.count);
      continue;
    }
    merges_->merge(word, scratch);
    for (const BpeMerges::Symbol s : scratch.symbols) {
      if (s >= token_count) {
        // Encoder.js would emit `undefined` here; only a merges file whose
        // comma-joined keys collide can get here (never GPT-2's own).
        throw Error("merging \"" + std::string(word) + "\" formed a symbol that encoder.json lacks",
                    "gpt2-bpe vocabulary",
                    "use GPT-2's encoder.json and vocab.bpe from the same release");
      }
    }
    out.insert(out.end(), scratch.symbols.begin(), scratch.symbols.end());
    if (word.size() <= kMaxCachedWordBytes) {
      cache.insert(word, scratch.symbols.data(), scratch.symbols.size());
    }
  }
}

std::string Gpt2Bpe::decode(const std::vector<TokenId>& ids) const {
  std::string text;
  for (const TokenId id : ids) {
    if (id >= merges_->token_count()) {
      throw_input_error("token id " + std::to_string(id),
                        "is outside the gpt2-bpe vocabulary (0.." +
                            std::to_string(merges_->token_count() - 1) + ")",
                        "decode ids produced by the gpt2-bpe tokenizer; check the token file's "
                        "`tokenizer` attribute");
    }
    text += merges_->symbol_bytes(id);
  }
  return text;
}

}  // namespace strata::io
