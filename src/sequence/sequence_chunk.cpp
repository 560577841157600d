// sequence_chunk: rows stay, positions narrow to the rank's chunk.
#include "sequence/sequence_chunk.hpp"

#include <string>

#include "core/error.hpp"

namespace strata::sequence {

io::TokenBatch sequence_chunk(const io::TokenBatch& batch, int rank, int size) {
  const std::uint64_t T = batch.block_size, parts = static_cast<std::uint64_t>(size);
  if (size < 1 || rank < 0 || rank >= size || T % parts != 0)
    throw STRATA_ERROR("cannot take chunk " + std::to_string(rank) + " of " + std::to_string(size) +
                           " from samples of " + std::to_string(T) + " positions",
                       "sequence_chunk",
                       "this is a bug in the caller: [parallel] sp must divide the sequence");
  const std::uint64_t chunk = T / parts, first = static_cast<std::uint64_t>(rank) * chunk;
  io::TokenBatch out;
  out.rows = batch.rows;
  out.block_size = chunk;
  out.samples = batch.samples;
  for (std::uint64_t r = 0; r < batch.rows; ++r) {
    out.offsets.push_back(batch.offsets.empty() ? first : batch.offsets[r] + first);
    const auto begin = static_cast<std::ptrdiff_t>(r * T + first);
    const auto end = begin + static_cast<std::ptrdiff_t>(chunk);
    out.inputs.insert(out.inputs.end(), batch.inputs.begin() + begin, batch.inputs.begin() + end);
    out.targets.insert(out.targets.end(), batch.targets.begin() + begin,
                       batch.targets.begin() + end);
  }
  return out;
}

}  // namespace strata::sequence
