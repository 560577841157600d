// BpeMerges::merge_heap: the reference's merge loop in O(n log n) for long
// words (runs of symbols, minified code, base64), with the same result as
// merge_scan, including the reference's tie and collision behaviour.
#include <algorithm>

#include "io/tokenizer/bpe_merges.hpp"

namespace strata::io {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
constexpr BpeMerges::Symbol kDead = 0xFFFFFFFFu;

// std::push_heap keeps the largest on top; we want the lowest rank.
bool later(const BpeMerges::QueuedPair& a, const BpeMerges::QueuedPair& b) {
  return a.rank > b.rank;
}

// Whether the queued pair still describes two neighbouring live symbols.
bool current(const BpeMerges::QueuedPair& q, const BpeMerges::Scratch& s) {
  const std::uint32_t right = s.next[q.left];
  return s.symbols[q.left] == q.left_symbol && right != kNone && s.symbols[right] == q.right_symbol;
}

}  // namespace

void BpeMerges::queue_pair(std::uint32_t left, Scratch& s) const {
  const std::uint32_t right = s.next[left];
  if (right == kNone) return;
  const auto [rank, merged] = find_pair(s.symbols[left], s.symbols[right]);
  if (rank == kNoRank) return;
  s.queue.push_back(QueuedPair{rank, left, s.symbols[left], s.symbols[right], merged});
  std::push_heap(s.queue.begin(), s.queue.end(), later);
}

void BpeMerges::merge_heap(std::string_view word, Scratch& s) const {
  // Slot i holds the symbol that starts at byte i; a merge keeps the left
  // slot and kills the right one, so slot order is word order.
  const auto n = static_cast<std::uint32_t>(word.size());
  s.symbols.resize(n);
  s.next.resize(n);
  s.prev.resize(n);
  s.queue.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    s.symbols[i] = byte_symbol_[static_cast<unsigned char>(word[i])];
    s.next[i] = i + 1 < n ? i + 1 : kNone;
    s.prev[i] = i > 0 ? i - 1 : kNone;
  }
  for (std::uint32_t i = 0; i + 1 < n; ++i) queue_pair(i, s);

  while (!s.queue.empty()) {
    // One step of the reference: take every live pair of the lowest rank.
    const std::uint32_t rank = s.queue.front().rank;
    s.batch.clear();
    while (!s.queue.empty() && s.queue.front().rank == rank) {
      std::pop_heap(s.queue.begin(), s.queue.end(), later);
      if (current(s.queue.back(), s)) s.batch.push_back(s.queue.back());
      s.queue.pop_back();
    }
    if (s.batch.empty()) continue;
    std::sort(s.batch.begin(), s.batch.end(),
              [](const QueuedPair& a, const QueuedPair& b) { return a.left < b.left; });
    s.batch.erase(
        std::unique(s.batch.begin(), s.batch.end(),
                    [](const QueuedPair& a, const QueuedPair& b) { return a.left == b.left; }),
        s.batch.end());
    // Of equal-rank pairs the reference picks the last in the word; pairs of
    // that rank that differ from it (a key collision) wait for a later step.
    const QueuedPair chosen = s.batch.back();
    s.merged_slots.clear();
    for (const QueuedPair& q : s.batch) {
      if (q.left_symbol != chosen.left_symbol || q.right_symbol != chosen.right_symbol) {
        s.queue.push_back(q);
        std::push_heap(s.queue.begin(), s.queue.end(), later);
        continue;
      }
      if (!current(q, s)) continue;  // overlapped by the merge just left of it
      const std::uint32_t right = s.next[q.left];
      s.symbols[q.left] = chosen.merged;
      s.symbols[right] = kDead;
      s.next[q.left] = s.next[right];
      if (s.next[right] != kNone) s.prev[s.next[right]] = q.left;
      s.merged_slots.push_back(q.left);
    }
    // New neighbours enter the queue only now, as the reference recomputes
    // its pairs only after a whole step.
    for (const std::uint32_t slot : s.merged_slots) {
      if (s.prev[slot] != kNone) queue_pair(s.prev[slot], s);
      queue_pair(slot, s);
    }
  }

  std::uint32_t out = 0;
  for (std::uint32_t i = 0; i != kNone; i = s.next[i]) s.symbols[out++] = s.symbols[i];
  s.symbols.resize(out);
}

}  // namespace strata::io
