// TensorSplit's runs against the slices written out element by element, for
// Megatron's cases (column, fused QKV, row, vectors), whole and in pieces.
#include "model/tensor_split.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/param_spec.hpp"

namespace strata::model {
namespace {

// The rank's logical indices in local order, by the definition: for every
// index of the dimensions before `dim`, every part, the rank's block of
// that part, and every index after `dim`.
std::vector<std::int64_t> slice_by_definition(const std::vector<std::int64_t>& shape,
                                              const TensorSplit& s) {
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < s.dim) outer *= shape[d];
    if (d > s.dim) inner *= shape[d];
  }
  const std::int64_t extent = shape[s.dim], part = extent / s.parts, block = part / s.ranks;
  std::vector<std::int64_t> logical;
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t p = 0; p < s.parts; ++p)
      for (std::int64_t i = 0; i < block; ++i)
        for (std::int64_t k = 0; k < inner; ++k)
          logical.push_back((o * extent + p * part + s.rank * block + i) * inner + k);
  return logical;
}

std::vector<std::int64_t> expand(const std::vector<LogicalRun>& runs, std::int64_t begin) {
  std::vector<std::int64_t> logical;
  for (const LogicalRun& run : runs) {
    EXPECT_EQ(run.local_begin, begin + static_cast<std::int64_t>(logical.size()));
    for (std::int64_t i = 0; i < run.count; ++i) logical.push_back(run.logical_begin + i);
  }
  return logical;
}

struct Case {
  std::vector<std::int64_t> shape;
  int dim, parts;
};

const Case kCases[] = {
    {{24, 8}, 0, 1},  // column-parallel weight [out, in]
    {{24, 8}, 0, 3},  // fused QKV weight [3C, C]
    {{24}, 0, 3},     // fused QKV bias
    {{8, 24}, 1, 1},  // row-parallel weight [out, in]
    {{16}, 0, 1},     // column-parallel bias, wte rows as [V] x C below
    {{16, 6}, 0, 1},  // vocabulary rows of wte [V, C]
};

TEST(TensorSplit, RunsAreTheSliceElementByElement) {
  for (const Case& c : kCases)
    for (const int ranks : {1, 2, 4}) {
      std::vector<int> seen(
          static_cast<std::size_t>(c.shape[0] * (c.shape.size() > 1 ? c.shape[1] : 1)));
      for (int rank = 0; rank < ranks; ++rank) {
        const TensorSplit split{c.dim, c.parts, rank, ranks};
        const auto local = local_shape(c.shape, split, "w");
        std::int64_t n = 1;
        for (auto d : local) n *= d;
        const auto expected = slice_by_definition(c.shape, split);
        ASSERT_EQ(static_cast<std::int64_t>(expected.size()), n);
        const auto runs = logical_runs(c.shape, split, 0, n);
        EXPECT_EQ(expand(runs, 0), expected)
            << "dim " << c.dim << " parts " << c.parts << " rank " << rank << "/" << ranks;
        for (std::size_t i = 1; i < runs.size(); ++i)
          EXPECT_NE(runs[i - 1].logical_begin + runs[i - 1].count, runs[i].logical_begin)
              << "runs are maximal";
        for (auto index : expected) ++seen[static_cast<std::size_t>(index)];
        // Any sub-range maps to the same elements (ZeRO shards cut anywhere).
        for (std::int64_t b = 0; b < n; b += 5)
          for (std::int64_t e = b; e <= n; e += 7) {
            const std::vector<std::int64_t> part(expected.begin() + b, expected.begin() + e);
            ASSERT_EQ(expand(logical_runs(c.shape, split, b, e), b), part)
                << "[" << b << ", " << e << ")";
          }
      }
      for (int count : seen) EXPECT_EQ(count, 1) << "every logical element on one rank";
    }
}

TEST(TensorSplit, OneRankHoldsTheTensorAsOneRun) {
  const auto runs = logical_runs({24, 8}, TensorSplit{0, 3, 0, 1}, 0, 192);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].count, 192);
}

TEST(TensorSplit, AWidthTpCannotSplitIsAnInputError) {
  try {
    local_shape({18, 6}, TensorSplit{0, 3, 0, 4}, "h.0.attn.c_attn.weight");
    FAIL() << "no error";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("h.0.attn.c_attn.weight"), std::string::npos) << text;
    EXPECT_NE(text.find("3 part(s) × 4"), std::string::npos) << text;
    EXPECT_NE(text.find("[parallel] tp"), std::string::npos) << text;
  }
}

TEST(TensorSplit, AShardInitialisesAsItsSliceOfTheWholeTensor) {
  // The fused QKV weight of a 3C x C layer, C = 8, over 4 TP ranks: each
  // rank's local values must be the whole tensor's at its logical indices.
  ParamSpec whole{"h.0.attn.c_attn.weight", {24, 8}, InitRule::normal, 0.02, true, std::nullopt};
  std::vector<float> all(24 * 8);
  initialize_slice(whole, 1234, 0, 24 * 8, all.data());
  for (int rank = 0; rank < 4; ++rank) {
    ParamSpec shard = whole;
    shard.split = TensorSplit{0, 3, rank, 4};
    ASSERT_EQ(local_numel(shard), 24 * 8 / 4);
    const auto logical = slice_by_definition(whole.shape, *shard.split);
    // In two pieces, as a ZeRO partition might cut it.
    std::vector<float> local(48);
    initialize_local_slice(shard, 1234, 0, 17, local.data());
    initialize_local_slice(shard, 1234, 17, 48, local.data() + 17);
    for (std::size_t i = 0; i < local.size(); ++i)
      ASSERT_EQ(local[i], all[static_cast<std::size_t>(logical[i])]) << "rank " << rank << " " << i;
  }
  EXPECT_EQ(local_numel(whole), 192) << "no split: the whole tensor";
}

}  // namespace
}  // namespace strata::model
