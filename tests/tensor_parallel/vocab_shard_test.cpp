// vocab_shard: equal blocks that tile the vocabulary once, real classes as a
// prefix, and the input error when tp does not divide the vocabulary.
#include "tensor_parallel/vocab_shard.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace strata::tensor_parallel {
namespace {

TEST(VocabShard, BlocksTileTheVocabularyOnce) {
  // 50304 = GPT-2's 50257 padded; 64 splits it into blocks of 786, and the
  // last block holds the 47 padding classes.
  for (const int tp : {1, 2, 4, 8, 64}) {
    std::int64_t next = 0, real = 0;
    for (int r = 0; r < tp; ++r) {
      const VocabShard shard = vocab_shard(50304, 50257, r, tp);
      EXPECT_EQ(shard.begin, next) << "tp " << tp << " rank " << r;
      EXPECT_EQ(shard.size, 50304 / tp);
      next += shard.size;
      real += shard.real;
    }
    EXPECT_EQ(next, 50304);
    EXPECT_EQ(real, 50257) << "tp " << tp;
  }
  const VocabShard last = vocab_shard(50304, 50257, 63, 64);
  EXPECT_EQ(last.real, 786 - 47);
}

TEST(VocabShard, RanksBeyondTheRealVocabularyHoldOnlyPadding) {
  // 65 characters padded to 128 over 4 ranks: 32 real, 32, 1, 0.
  const std::int64_t expected[] = {32, 32, 1, 0};
  for (int r = 0; r < 4; ++r) EXPECT_EQ(vocab_shard(128, 65, r, 4).real, expected[r]);
}

TEST(VocabShard, TpThatDoesNotDivideTheVocabularyIsAnInputError) {
  try {
    vocab_shard(50257, 50257, 0, 2);
    FAIL() << "no error";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("[parallel] tp = 2"), std::string::npos) << text;
    EXPECT_NE(text.find("vocab_size = 50257"), std::string::npos) << text;
    EXPECT_NE(text.find("50304"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace strata::tensor_parallel
