// Byte-pair merging of one pre-token, with the reference encoder's rank
// lookup: merges are found by the JavaScript object key `first + "," +
// second`, so pairs whose keys collide share one rank (docs/tokenizer.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::io {

class BpeMerges {
 public:
  // A symbol is a byte string: ids below token_bytes.size() are the token
  // ids of encoder.json; larger ids are byte strings the merges can form that
  // are not tokens (only a quirk of the key lookup can make one).
  using Symbol = std::uint32_t;

  // token_bytes[id] must include every single byte; merges in rank order.
  BpeMerges(std::vector<std::string> token_bytes,
            const std::vector<std::pair<std::string, std::string>>& merges);

  // One adjacent pair waiting in merge_heap's queue.
  struct QueuedPair {
    std::uint32_t rank;
    std::uint32_t left;  // slot of the left symbol = its byte offset in the word
    Symbol left_symbol;
    Symbol right_symbol;
    Symbol merged;
  };

  // Reused buffers, so merging a word allocates nothing once they have grown.
  struct Scratch {
    std::vector<Symbol> symbols;
    std::vector<std::pair<std::uint32_t, Symbol>> pairs;  // (rank, merged) of symbols i, i+1
    std::vector<std::uint32_t> next;
    std::vector<std::uint32_t> prev;
    std::vector<QueuedPair> queue;
    std::vector<QueuedPair> batch;
    std::vector<std::uint32_t> merged_slots;
  };

  // Merges `word` (its bytes); leaves the final symbols in scratch.symbols.
  // Short words take merge_scan, long ones merge_heap; both give the same.
  void merge(std::string_view word, Scratch& scratch) const;
  // Rescans all pairs per merge step: fastest for short words, O(n^2) worst.
  void merge_scan(std::string_view word, Scratch& scratch) const;
  // A priority queue of pairs over a linked list: O(n log n) for long words.
  void merge_heap(std::string_view word, Scratch& scratch) const;

  std::size_t token_count() const { return token_count_; }
  std::size_t symbol_count() const { return symbol_bytes_.size(); }
  const std::string& symbol_bytes(Symbol s) const { return symbol_bytes_[s]; }
  std::size_t pair_count() const { return pair_entries_; }

  static constexpr std::uint32_t kNoRank = 0xFFFFFFFFu;

 private:
  struct PairSlot {
    std::uint64_t key;  // (left << 32) | right, or kEmptyKey
    std::uint32_t rank;
    Symbol merged;
  };
  static constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};

  void insert_pair(Symbol left, Symbol right, std::uint32_t rank, Symbol merged);
  std::pair<std::uint32_t, Symbol> find_pair(Symbol left, Symbol right) const;
  void queue_pair(std::uint32_t left, Scratch& scratch) const;

  std::size_t token_count_ = 0;
  std::vector<std::string> symbol_bytes_;
  std::array<Symbol, 256> byte_symbol_{};
  std::vector<PairSlot> slots_;  // open addressing, power-of-two size
  unsigned shift_ = 64;
  std::size_t pair_entries_ = 0;
};

}  // namespace strata::io
