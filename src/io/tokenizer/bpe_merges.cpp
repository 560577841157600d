// The merge table and the merge loop. Both reproduce what the reference
// encoder's bpe() computes, including its key-collision and tie quirks.
#include "io/tokenizer/bpe_merges.hpp"

#include <unordered_map>

#include "core/error.hpp"

namespace strata::io {

namespace {

std::uint64_t pair_key(std::uint32_t left, std::uint32_t right) {
  return (std::uint64_t{left} << 32) | right;
}

}  // namespace

BpeMerges::BpeMerges(std::vector<std::string> token_bytes,
                     const std::vector<std::pair<std::string, std::string>>& merges)
    : token_count_(token_bytes.size()), symbol_bytes_(std::move(token_bytes)) {
  std::unordered_map<std::string, Symbol> ids;
  ids.reserve(symbol_bytes_.size() * 2);
  for (Symbol id = 0; id < symbol_bytes_.size(); ++id) ids.emplace(symbol_bytes_[id], id);
  const auto intern = [&](std::string bytes) {
    const auto [it, added] = ids.emplace(bytes, static_cast<Symbol>(symbol_bytes_.size()));
    if (added) symbol_bytes_.push_back(std::move(bytes));
    return it->second;
  };
  for (int b = 0; b < 256; ++b) {
    const auto it = ids.find(std::string(1, static_cast<char>(b)));
    if (it == ids.end()) throw Error("the vocabulary lacks a single-byte token", "BpeMerges");
    byte_symbol_[b] = it->second;
  }

  // The reference builds its rank table as a JavaScript object indexed by the
  // pair array, i.e. by the string first + "," + second; a later merge with
  // the same key overwrites the rank of an earlier one.
  std::vector<std::string> keys;
  keys.reserve(merges.size());
  std::unordered_map<std::string, std::uint32_t> rank_of_key;
  rank_of_key.reserve(merges.size() * 2);
  for (std::uint32_t rank = 0; rank < merges.size(); ++rank) {
    keys.push_back(merges[rank].first + "," + merges[rank].second);
    rank_of_key[keys.back()] = rank;
  }

  // A lookup for symbols (a, b) hits key K whenever a + "," + b == K, which
  // holds for every split of K at a comma, not just the one written in
  // vocab.bpe (e.g. `",` + `"` finds the merge `"` + `,"`). So each key enters
  // the table once per comma it contains; merging gives a + b either way.
  std::size_t capacity = 16;
  while (capacity < merges.size() * 2 + 64) capacity *= 2;
  slots_.assign(capacity, PairSlot{kEmptyKey, kNoRank, 0});
  shift_ = 64;
  for (std::size_t c = capacity; c > 1; c /= 2) --shift_;
  for (std::uint32_t rank = 0; rank < keys.size(); ++rank) {
    const std::string& key = keys[rank];
    if (rank_of_key[key] != rank) continue;  // overwritten by a later merge
    for (std::size_t comma = key.find(','); comma != std::string::npos;
         comma = key.find(',', comma + 1)) {
      std::string left = key.substr(0, comma);
      std::string right = key.substr(comma + 1);
      if (left.empty() || right.empty()) continue;  // no word holds an empty symbol
      const Symbol merged = intern(left + right);
      const Symbol l = intern(std::move(left));
      const Symbol r = intern(std::move(right));
      insert_pair(l, r, rank, merged);
    }
  }
}

void BpeMerges::insert_pair(Symbol left, Symbol right, std::uint32_t rank, Symbol merged) {
  if ((pair_entries_ + 1) * 2 > slots_.size()) {  // keep the load under 1/2
    std::vector<PairSlot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, PairSlot{kEmptyKey, kNoRank, 0});
    --shift_;
    pair_entries_ = 0;
    for (const PairSlot& s : old) {
      if (s.key != kEmptyKey) insert_pair(Symbol(s.key >> 32), Symbol(s.key), s.rank, s.merged);
    }
  }
  const std::uint64_t key = pair_key(left, right);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;; i = (i + 1) & mask) {
    if (slots_[i].key == kEmptyKey) {
      slots_[i] = PairSlot{key, rank, merged};
      ++pair_entries_;
      return;
    }
    if (slots_[i].key == key) return;  // a pair has one key, hence one rank
  }
}

std::pair<std::uint32_t, BpeMerges::Symbol> BpeMerges::find_pair(Symbol left, Symbol right) const {
  const std::uint64_t key = pair_key(left, right);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;; i = (i + 1) & mask) {
    const PairSlot& s = slots_[i];
    if (s.key == key) return {s.rank, s.merged};
    if (s.key == kEmptyKey) return {kNoRank, 0};
  }
}

void BpeMerges::merge(std::string_view word, Scratch& scratch) const {
  // Beyond this many bytes the heap's bookkeeping costs less than rescanning.
  constexpr std::size_t kScanMaxBytes = 48;
  if (word.size() <= kScanMaxBytes) {
    merge_scan(word, scratch);
  } else {
    merge_heap(word, scratch);
  }
}

void BpeMerges::merge_scan(std::string_view word, Scratch& scratch) const {
  auto& symbols = scratch.symbols;
  auto& pairs = scratch.pairs;
  std::size_t n = word.size();
  symbols.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    symbols[i] = byte_symbol_[static_cast<unsigned char>(word[i])];
  if (n < 2) return;
  pairs.resize(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) pairs[i] = find_pair(symbols[i], symbols[i + 1]);

  while (n > 1) {
    // The reference files each pair under its rank in an object, so of pairs
    // that share the lowest rank the last one in the word is the one chosen.
    std::uint32_t best = kNoRank;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (pairs[i].first <= best) {
        best = pairs[i].first;
        at = i;
      }
    }
    if (best == kNoRank) break;
    const Symbol left = symbols[at];
    const Symbol right = symbols[at + 1];
    const Symbol merged = pairs[at].second;

    // Merge every occurrence of exactly (left, right), scanning left to right
    // without overlap. Pairs away from a merge keep their (rank, merged).
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++out) {
      if (i + 1 < n && symbols[i] == left && symbols[i + 1] == right) {
        symbols[out] = merged;
        i += 2;
      } else {
        symbols[out] = symbols[i];
        if (i + 1 < n) pairs[out] = pairs[i];
        i += 1;
      }
    }
    n = out;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (symbols[i] == merged || symbols[i + 1] == merged) {
        pairs[i] = find_pair(symbols[i], symbols[i + 1]);
      }
    }
  }
  symbols.resize(n);
}

}  // namespace strata::io
