// Parameters handed to layers: resident fp32 chunks directly, 16-bit ones
// widened into an fp32 working copy, and at stage 3 each chunk all-gathered
// from the DP group's shards just before use, with the next layers'
// chunks prefetched within the stage-3 bounds.
#include <algorithm>

#include "core/contract.hpp"
#include "zero/impl/convert.hpp"
#include "zero/impl/store_state.hpp"

namespace strata::zero {

void ZeroStore::Impl::start_gather(std::size_t c, int users) {
  const Chunk& chunk = layout.chunks()[c];
  LiveChunk& entry = live[c];
  entry.users = users;
  entry.elements = chunk.padded;
  // Overwritten whole by the gather: no zero fill.
  entry.gathered = Tensor(Tensor::uninitialized, ledger, "zero.gathered", dtype, {chunk.padded},
                          MemoryCategory::param);
  entry.gather =
      dp.start_all_gather(param_piece(c), entry.gathered.raw_data(), chunk.local_size, dtype);
  live_gathered += entry.elements;
  peak_gathered = std::max(peak_gathered, live_gathered);
}

void ZeroStore::Impl::acquire_chunk(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  const bool resident = chunk.resident_offset >= 0;
  if (resident && !mixed) return;  // layers read the fp32 storage itself
  auto found = live.find(c);
  if (found == live.end()) {
    if (resident) {
      LiveChunk& entry = live[c];
      entry.widened = Tensor(Tensor::uninitialized, ledger, "zero.params.fp32", DType::fp32,
                             {chunk.padded}, MemoryCategory::workspace);
      impl::convert(impl::at(full_params.raw_data(), dtype, chunk.resident_offset), dtype,
                    entry.widened.raw_data(), DType::fp32, chunk.padded);
      entry.users = 1;
      return;
    }
    start_gather(c, 1);
    found = live.find(c);
  } else {
    ++found->second.users;
  }
  LiveChunk& entry = found->second;
  if (entry.gather.active()) entry.gather.wait();
  if (mixed && !entry.widened.defined()) {
    entry.widened = Tensor(Tensor::uninitialized, ledger, "zero.gathered.fp32", DType::fp32,
                           {chunk.padded}, MemoryCategory::workspace);
    impl::convert(entry.gathered.raw_data(), dtype, entry.widened.raw_data(), DType::fp32,
                  chunk.padded);
  }
}

float* ZeroStore::Impl::working_params(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  if (chunk.resident_offset >= 0 && !mixed)
    return full_params.data<float>() + chunk.resident_offset;
  const LiveChunk& entry = live.at(c);
  return mixed ? entry.widened.data<float>() : entry.gathered.data<float>();
}

void ZeroStore::Impl::release_chunk(std::size_t c, bool reused_next) {
  const Chunk& chunk = layout.chunks()[c];
  if (chunk.resident_offset >= 0 && !mixed) return;
  auto found = live.find(c);
  STRATA_EXPECTS(found != live.end() && found->second.users > 0);
  // Kept with no users when the very next layer reads it again (the head's
  // forward then its backward; DeepSpeed's max_reuse_distance at its
  // smallest); drop_unused frees it at the end of the pass otherwise.
  if (--found->second.users > 0 || reused_next) return;
  live_gathered -= found->second.elements;
  live.erase(found);
}

void ZeroStore::Impl::prefetch_after(std::size_t from) {
  if (options.stage != 3 || options.prefetch_bucket_size <= 0) return;
  std::int64_t ahead = 0;  // gathered but not in use: the prefetch window
  for (const auto& [c, entry] : live)
    if (entry.users == 0) ahead += entry.elements;
  for (std::size_t p = from + 1; p < sequence.size(); ++p) {
    for (std::size_t c : layer_chunks[sequence[p].first]) {
      const Chunk& chunk = layout.chunks()[c];
      if (chunk.resident_offset >= 0 || live.count(c)) continue;
      if (ahead + chunk.padded > options.prefetch_bucket_size ||
          live_gathered + chunk.padded > options.max_live_parameters)
        return;
      start_gather(c, 0);
      ahead += chunk.padded;
    }
  }
}

void ZeroStore::Impl::drop_unused() {
  for (auto it = live.begin(); it != live.end();) {
    if (it->second.users > 0) {
      ++it;
      continue;
    }
    if (it->second.gather.active()) it->second.gather.wait();
    live_gathered -= it->second.elements;
    it = live.erase(it);
  }
}

model::ParamViews ZeroStore::acquire_params(std::size_t layer, bool backward) {
  Impl& s = *impl_;
  const auto at = std::find(s.sequence.begin(), s.sequence.end(), std::make_pair(layer, backward));
  STRATA_EXPECTS(at != s.sequence.end());
  s.position = static_cast<std::size_t>(at - s.sequence.begin());
  for (std::size_t c : s.layer_chunks[layer]) s.acquire_chunk(c);
  s.prefetch_after(s.position);
  s.progress();
  model::ParamViews views;
  for (std::size_t spec : s.layer_specs[layer]) {
    const auto& place = layout_.placement(spec);
    views.emplace_back(s.working_params(layout_.chunk_of(spec)) + place.offset,
                       static_cast<std::size_t>(place.numel));
  }
  return views;
}

void ZeroStore::release_params(std::size_t layer) {
  Impl& s = *impl_;
  const std::vector<std::size_t>* next = s.position + 1 < s.sequence.size()
                                             ? &s.layer_chunks[s.sequence[s.position + 1].first]
                                             : nullptr;
  for (std::size_t c : s.layer_chunks[layer])
    s.release_chunk(c, next && std::find(next->begin(), next->end(), c) != next->end());
}

void ZeroStore::end_pass() { impl_->drop_unused(); }

}  // namespace strata::zero
