// Memo of pre-token bytes -> token ids, the per-word cache of the reference
// encoder made allocation-free: one flat open-addressing table over two
// arenas. Plus a pool so concurrent encode() calls each get their own cache.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace strata::io {

class WordCache {
 public:
  using Id = std::uint32_t;

  // At most max_words entries; when full the cache starts over (a word is
  // recomputed identically, so forgetting never changes the result).
  explicit WordCache(std::size_t max_words = std::size_t{1} << 20);

  struct Hit {
    const Id* ids;
    std::size_t count;  // 0: not cached
  };
  Hit find(std::string_view word) const;
  void insert(std::string_view word, const Id* ids, std::size_t count);
  std::size_t size() const { return words_; }

 private:
  struct Slot {
    std::uint64_t hash;
    std::uint32_t key_offset;
    std::uint32_t key_length;  // 0: empty slot (pre-tokens are never empty)
    std::uint32_t ids_offset;
    std::uint32_t ids_count;
  };
  void clear_and_resize(std::size_t slot_count);

  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<Id> ids_;
  std::size_t words_ = 0;
  std::size_t max_words_;
};

// Hands each caller a cache of its own and takes it back afterwards, so
// encode() is thread-safe without a lock per word.
class WordCachePool {
 public:
  class Lease {
   public:
    Lease(WordCachePool& pool, std::unique_ptr<WordCache> cache)
        : pool_(pool), cache_(std::move(cache)) {}
    ~Lease() { pool_.give_back(std::move(cache_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    WordCache& operator*() { return *cache_; }

   private:
    WordCachePool& pool_;
    std::unique_ptr<WordCache> cache_;
  };

  Lease take();

 private:
  void give_back(std::unique_ptr<WordCache> cache);

  std::mutex mutex_;
  std::vector<std::unique_ptr<WordCache>> idle_;
};

}  // namespace strata::io
