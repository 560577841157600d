// Sample order and ownership. The draw uses core's Philox so that data order
// follows the same counter-based rule as parameter initialisation.
#include "io/sample_order.hpp"

#include "core/error.hpp"
#include "core/philox.hpp"

namespace strata::io {

void BatchLayout::validate() const {
  if (micro_batch == 0) throw_input_error("[train] micro_batch", "is 0", "set it to at least 1");
  if (grad_accum == 0) throw_input_error("[train] grad_accum", "is 0", "set it to at least 1");
  if (dp == 0)
    throw_input_error("[parallel] dp", "is 0",
                      "the world size must be a multiple of tp·pp·sp; check the launch");
}

SampleRange samples_of_rank(const BatchLayout& layout, std::uint64_t dp_rank) {
  if (dp_rank >= layout.dp)
    throw STRATA_ERROR(
        "DP rank " + std::to_string(dp_rank) + " is outside dp = " + std::to_string(layout.dp),
        "samples_of_rank", "this is a bug in Strata; please report it");
  return {dp_rank * layout.per_rank(), layout.per_rank()};
}

SampleRange samples_of_micro_batch(const BatchLayout& layout, std::uint64_t dp_rank,
                                   std::uint64_t micro) {
  if (micro >= layout.grad_accum)
    throw STRATA_ERROR("micro-batch " + std::to_string(micro) +
                           " is outside grad_accum = " + std::to_string(layout.grad_accum),
                       "samples_of_micro_batch", "this is a bug in Strata; please report it");
  return {samples_of_rank(layout, dp_rank).first + micro * layout.micro_batch, layout.micro_batch};
}

std::uint64_t sample_start(std::uint64_t seed, TokenSplit split, std::uint64_t step,
                           std::uint64_t sample, std::uint64_t n_starts) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 32;
  if (sample >= kLimit || step >= kLimit || n_starts == 0)
    throw STRATA_ERROR("sample " + std::to_string(sample) + " / step " + std::to_string(step) +
                           " / " + std::to_string(n_starts) + " windows out of range",
                       "sample_start", "this is a bug in Strata; please report it");
  static constexpr std::uint64_t kStreams[2] = {stream_id("strata/data/train"),
                                                stream_id("strata/data/val")};
  const CounterRng rng(seed, kStreams[split == TokenSplit::train ? 0 : 1]);
  const PhiloxCounter block = rng.block(step << 32 | sample);
  const std::uint64_t bits = (std::uint64_t{block.word[1]} << 32) | block.word[0];
  // Multiply-shift maps 64 random bits onto [0, n_starts) without a division;
  // its bias is below n_starts / 2^64.
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(bits) * n_starts) >> 64);
}

}  // namespace strata::io
