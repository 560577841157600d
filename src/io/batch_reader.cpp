// Reading a set of sample windows with one H5Dread. Windows may overlap (two
// samples can draw nearby offsets), and an HDF5 selection is a set, so the
// windows are merged into disjoint runs, read once, and cut back out.
#include "io/batch_reader.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace strata::io {

BatchReader::BatchReader(const TokenDataset& data, BatchLayout layout, std::uint64_t block_size,
                         std::uint64_t seed)
    : data_(&data), layout_(layout), block_size_(block_size), seed_(seed) {
  layout_.validate();
  if (block_size_ == 0)
    throw_input_error("[model] block_size", "is 0", "set it to the model's context length");
}

std::uint64_t BatchReader::sample_offset(TokenSplit split, std::uint64_t step,
                                         std::uint64_t sample) const {
  const TokenRange range = data_->range(split);
  const std::uint64_t window = block_size_ + 1;
  if (range.size() < window)
    throw_input_error("[data] path = " + data_->path(),
                      std::string("its ") + split_name(split) + " split holds " +
                          std::to_string(range.size()) +
                          " tokens, fewer than [model] block_size "
                          "+ 1 = " +
                          std::to_string(window),
                      "lower [model] block_size or give strata-prep more text");
  return range.begin + sample_start(seed_, split, step, sample, range.size() - window + 1);
}

TokenBatch BatchReader::micro_batch(TokenSplit split, std::uint64_t step, std::uint64_t dp_rank,
                                    std::uint64_t micro) const {
  return read_samples(split, step, samples_of_micro_batch(layout_, dp_rank, micro));
}

TokenBatch BatchReader::rank_batch(TokenSplit split, std::uint64_t step,
                                   std::uint64_t dp_rank) const {
  return read_samples(split, step, samples_of_rank(layout_, dp_rank));
}

TokenBatch BatchReader::read_samples(TokenSplit split, std::uint64_t step,
                                     SampleRange range) const {
  const std::uint64_t window = block_size_ + 1;
  TokenBatch batch;
  batch.rows = range.count;
  batch.block_size = block_size_;
  for (std::uint64_t s = range.first; s < range.first + range.count; ++s) {
    batch.samples.push_back(s);
    batch.offsets.push_back(sample_offset(split, step, s));
  }

  // Disjoint runs covering every window, in file order.
  std::vector<std::uint64_t> sorted = batch.offsets;
  std::sort(sorted.begin(), sorted.end());
  std::vector<TokenRange> runs;
  for (const std::uint64_t begin : sorted) {
    if (!runs.empty() && begin <= runs.back().end)
      runs.back().end = std::max(runs.back().end, begin + window);
    else
      runs.push_back({begin, begin + window});
  }
  std::vector<std::uint64_t> run_start_in_buffer(runs.size(), 0);
  for (std::size_t i = 1; i < runs.size(); ++i)
    run_start_in_buffer[i] = run_start_in_buffer[i - 1] + runs[i - 1].size();
  std::vector<std::uint32_t> buffer;
  data_->read_runs(runs, buffer);

  batch.inputs.resize(batch.rows * block_size_);
  batch.targets.resize(batch.rows * block_size_);
  for (std::uint64_t r = 0; r < batch.rows; ++r) {
    const std::uint64_t offset = batch.offsets[r];
    // The last run starting at or before offset is the one containing it.
    const auto run = std::upper_bound(runs.begin(), runs.end(), offset,
                                      [](std::uint64_t value, const TokenRange& candidate) {
                                        return value < candidate.begin;
                                      }) -
                     1;
    const std::uint32_t* window_tokens =
        buffer.data() + run_start_in_buffer[run - runs.begin()] + (offset - run->begin);
    std::int32_t* x = batch.inputs.data() + r * block_size_;
    std::int32_t* y = batch.targets.data() + r * block_size_;
    for (std::uint64_t t = 0; t < block_size_; ++t) {
      x[t] = static_cast<std::int32_t>(window_tokens[t]);
      y[t] = static_cast<std::int32_t>(window_tokens[t + 1]);
    }
  }
  return batch;
}

}  // namespace strata::io
