// TensorSplit: where a tensor-parallel rank's piece of a parameter sits in
// the logical tensor, as runs of consecutive logical elements. Placement,
// Philox initialisation and layout-free checkpoints all work from logical
// indices, so with this map a TP shard initialises, saves and loads its
// elements without the whole tensor ever existing (DESIGN.md rule 1).
#pragma once

#include <cstdint>
#include <vector>

namespace strata::model {

// The logical tensor ([rows, cols], or [rows] for a vector) is cut along
// `dim` into `parts` equal consecutive parts, and each part into `ranks`
// equal blocks. Rank `rank` holds block `rank` of every part, the parts in
// order, row-major within each. Megatron's cases:
//   dim 0, parts 1  column-parallel weights [out, in] and their biases (MLP up),
//                   the vocabulary's rows of wte
//   dim 0, parts 3  the fused QKV weight [3C, C] and bias [3C]: each rank
//                   holds its heads' rows of Q, of K and of V
//   dim 1, parts 1  row-parallel weights [out, in] (attention out, MLP down)
struct TensorSplit {
  int dim = 0;
  int parts = 1;
  int rank = 0;
  int ranks = 1;
};

// A run of consecutive elements in both orders: local [local_begin,
// local_begin + count) are logical [logical_begin, logical_begin + count).
struct LogicalRun {
  std::int64_t local_begin = 0;
  std::int64_t logical_begin = 0;
  std::int64_t count = 0;
};

// The rank's local shape: the logical one with `dim` divided by `ranks`.
// Throws an input error naming the parameter if parts × ranks does not
// divide that dimension (a head count or width tp cannot split).
std::vector<std::int64_t> local_shape(const std::vector<std::int64_t>& logical_shape,
                                      const TensorSplit& split, const char* parameter);

// The runs that cover local elements [local_begin, local_end), in local
// order, maximal (adjacent runs are not contiguous in the logical tensor).
std::vector<LogicalRun> logical_runs(const std::vector<std::int64_t>& logical_shape,
                                     const TensorSplit& split, std::int64_t local_begin,
                                     std::int64_t local_end);

}  // namespace strata::model
