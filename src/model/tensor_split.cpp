// The local <-> logical index map of a tensor-parallel shard.
#include "model/tensor_split.hpp"

#include <algorithm>
#include <string>

#include "core/contract.hpp"
#include "core/error.hpp"

namespace strata::model {
namespace {

// The logical tensor as [outer, extent, inner] around the split dimension:
// the local tensor is [outer, extent / ranks, inner], and local row j of
// the split dimension is logical row part·(extent/parts) + rank·block + i,
// with block = extent / (parts·ranks), j = part·block + i.
struct Frame {
  std::int64_t outer = 1, extent = 1, inner = 1, block = 1;
};

Frame frame_of(const std::vector<std::int64_t>& shape, const TensorSplit& split) {
  STRATA_EXPECTS(split.dim >= 0 && split.dim < static_cast<int>(shape.size()));
  STRATA_EXPECTS(split.parts >= 1 && split.ranks >= 1 && split.rank >= 0 &&
                 split.rank < split.ranks);
  Frame f;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < split.dim) f.outer *= shape[d];
    if (d > split.dim) f.inner *= shape[d];
  }
  f.extent = shape[split.dim];
  f.block = f.extent / (static_cast<std::int64_t>(split.parts) * split.ranks);
  return f;
}

}  // namespace

std::vector<std::int64_t> local_shape(const std::vector<std::int64_t>& logical_shape,
                                      const TensorSplit& split, const char* parameter) {
  const std::int64_t extent = logical_shape.at(static_cast<std::size_t>(split.dim));
  const std::int64_t pieces = static_cast<std::int64_t>(split.parts) * split.ranks;
  if (extent % pieces != 0) {
    throw STRATA_ERROR(std::string(parameter) + "'s dimension " + std::to_string(split.dim) + " (" +
                           std::to_string(extent) + ") does not split into " +
                           std::to_string(split.parts) + " part(s) × " +
                           std::to_string(split.ranks) + " tensor-parallel ranks",
                       "[parallel] tp",
                       "choose a tp that divides n_head, and n_embd by n_head (each rank "
                       "holds whole heads)");
  }
  std::vector<std::int64_t> shape = logical_shape;
  shape[static_cast<std::size_t>(split.dim)] = extent / split.ranks;
  return shape;
}

std::vector<LogicalRun> logical_runs(const std::vector<std::int64_t>& logical_shape,
                                     const TensorSplit& split, std::int64_t local_begin,
                                     std::int64_t local_end) {
  const Frame f = frame_of(logical_shape, split);
  const std::int64_t local_extent = f.extent / split.ranks;
  STRATA_EXPECTS(0 <= local_begin && local_begin <= local_end &&
                 local_end <= f.outer * local_extent * f.inner);
  // Within one block of the split dimension, rows are whole (inner
  // elements each) and consecutive in both orders, so a run never crosses
  // a block boundary and otherwise extends as far as the range goes.
  const std::int64_t run_span = f.block * f.inner;
  std::vector<LogicalRun> runs;
  std::int64_t at = local_begin;
  while (at < local_end) {
    const std::int64_t o = at / (local_extent * f.inner);
    const std::int64_t within = at % (local_extent * f.inner);  // in [local_extent, inner]
    const std::int64_t part = within / run_span;
    const std::int64_t offset = within % run_span;
    const std::int64_t logical_row = part * (f.extent / split.parts) + split.rank * f.block;
    const std::int64_t logical = (o * f.extent + logical_row) * f.inner + offset;
    const std::int64_t count = std::min(run_span - offset, local_end - at);
    if (!runs.empty() && runs.back().logical_begin + runs.back().count == logical)
      runs.back().count += count;  // blocks that happen to touch (one rank, one part)
    else
      runs.push_back({at, logical, count});
    at += count;
  }
  return runs;
}

}  // namespace strata::model
