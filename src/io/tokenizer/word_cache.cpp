// The flat word cache and its pool.
#include "io/tokenizer/word_cache.hpp"

#include <cstring>

namespace strata::io {

namespace {

// 64-bit hash of a short byte string, eight bytes per step.
std::uint64_t hash_bytes(std::string_view s) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = s.size() * kMul;
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  h *= kMul;
  return h ^ (h >> 29);
}

}  // namespace

WordCache::WordCache(std::size_t max_words) : max_words_(max_words) { clear_and_resize(1024); }

void WordCache::clear_and_resize(std::size_t slot_count) {
  slots_.assign(slot_count, Slot{0, 0, 0, 0, 0});
  keys_.clear();
  ids_.clear();
  words_ = 0;
}

WordCache::Hit WordCache::find(std::string_view word) const {
  const std::uint64_t hash = hash_bytes(word);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key_length == 0) return {nullptr, 0};
    if (s.hash == hash && s.key_length == word.size() &&
        std::memcmp(keys_.data() + s.key_offset, word.data(), word.size()) == 0) {
      return {ids_.data() + s.ids_offset, s.ids_count};
    }
  }
}

void WordCache::insert(std::string_view word, const Id* ids, std::size_t count) {
  if (word.empty() || count == 0) return;
  if (words_ >= max_words_ || keys_.size() + word.size() > 0xFFFFFFFFu ||
      ids_.size() + count > 0xFFFFFFFFu) {
    clear_and_resize(1024);
  }
  if ((words_ + 1) * 2 > slots_.size()) {  // keep the load under 1/2
    std::vector<Slot> old(slots_.size() * 2, Slot{0, 0, 0, 0, 0});
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key_length == 0) continue;
      std::size_t i = s.hash & mask;
      while (slots_[i].key_length != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  const std::uint64_t hash = hash_bytes(word);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].key_length != 0) i = (i + 1) & mask;
  slots_[i] =
      Slot{hash, static_cast<std::uint32_t>(keys_.size()), static_cast<std::uint32_t>(word.size()),
           static_cast<std::uint32_t>(ids_.size()), static_cast<std::uint32_t>(count)};
  keys_.append(word);
  ids_.insert(ids_.end(), ids, ids + count);
  ++words_;
}

WordCachePool::Lease WordCachePool::take() {
  std::unique_ptr<WordCache> cache;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      cache = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!cache) cache = std::make_unique<WordCache>();
  return Lease(*this, std::move(cache));
}

void WordCachePool::give_back(std::unique_ptr<WordCache> cache) {
  if (!cache) return;
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(cache));
}

}  // namespace strata::io
