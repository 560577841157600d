// ChunkLayout: chunks per layer, padding, and the three index spaces.
#include "zero/chunk_layout.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace strata::zero {
namespace {

std::int64_t round_up(std::int64_t value, std::int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

}  // namespace

ChunkLayout::ChunkLayout(std::vector<model::ParamSpec> specs,
                         const std::vector<std::vector<std::size_t>>& layer_params,
                         const LayoutOptions& options)
    : specs_(std::move(specs)), options_(options) {
  if (options.dp < 1 || options.rank < 0 || options.rank >= options.dp || options.stage < 0 ||
      options.stage > 3)
    throw STRATA_ERROR("invalid ZeRO layout: stage " + std::to_string(options.stage) + ", rank " +
                           std::to_string(options.rank) + " of " + std::to_string(options.dp),
                       "ChunkLayout", "pass a stage in 0..3 and a rank below the DP size");
  spec_chunk_.assign(specs_.size(), specs_.size());
  spec_slot_.assign(specs_.size(), 0);
  layer_chunks_.resize(layer_params.size());

  const bool stage3 = options.stage == 3;
  for (std::size_t layer = 0; layer < layer_params.size(); ++layer) {
    // At stage 3 a layer's small parameters form a chunk of their own that
    // every rank keeps whole; everything else is one chunk per layer.
    Chunk gathered, persistent;
    gathered.partitioned = options.stage > 0;
    for (std::size_t spec : layer_params[layer]) {
      if (spec >= specs_.size() || spec_chunk_[spec] != specs_.size())
        throw STRATA_ERROR("parameter index " + std::to_string(spec) + " of layer " +
                               std::to_string(layer) + " is out of range or listed twice",
                           "ChunkLayout", "list each parameter under exactly one layer");
      const std::int64_t n = model::local_numel(specs_[spec]);
      Chunk& chunk = stage3 && n < options.persistence_threshold ? persistent : gathered;
      chunk.params.push_back({spec, chunk.numel, n});
      chunk.numel += n;
      spec_chunk_[spec] = 0;  // placed; the real index is set below
    }
    for (Chunk* chunk : {&gathered, &persistent}) {
      if (chunk->params.empty()) continue;
      chunk->layer = layer;
      const std::size_t index = chunks_.size();
      for (std::size_t slot = 0; slot < chunk->params.size(); ++slot) {
        spec_chunk_[chunk->params[slot].spec] = index;
        spec_slot_[chunk->params[slot].spec] = slot;
      }
      layer_chunks_[layer].push_back(index);
      chunks_.push_back(std::move(*chunk));
    }
  }
  for (std::size_t spec = 0; spec < specs_.size(); ++spec)
    if (spec_chunk_[spec] == specs_.size())
      throw STRATA_ERROR("parameter '" + specs_[spec].name + "' belongs to no layer", "ChunkLayout",
                         "list every parameter under the layer that owns it");

  for (Chunk& chunk : chunks_) {
    param_count_ += chunk.numel;
    if (chunk.partitioned) {
      chunk.padded = round_up(chunk.numel, options.dp * kAlignElements);
      chunk.local_size = chunk.padded / options.dp;
      chunk.local_begin = options.rank * chunk.local_size;
    } else {
      chunk.padded = round_up(chunk.numel, kAlignElements);
      chunk.local_size = chunk.padded;
      chunk.local_begin = 0;
    }
    chunk.local_offset = local_size_;
    local_size_ += chunk.local_size;
    if (stage3 && chunk.partitioned) {
      chunk.sharded_offset = sharded_size_;
      sharded_size_ += chunk.local_size;
    } else {
      chunk.resident_offset = full_size_;
      full_size_ += chunk.padded;
    }
  }
}

const ParamPlacement& ChunkLayout::placement(std::size_t spec) const {
  return chunks_[spec_chunk_[spec]].params[spec_slot_[spec]];
}

ChunkLayout::Run ChunkLayout::local_run(std::size_t spec) const {
  const Chunk& chunk = chunks_[spec_chunk_[spec]];
  const ParamPlacement& place = placement(spec);
  const std::int64_t begin = std::max(place.offset, chunk.local_begin);
  const std::int64_t end =
      std::min(place.offset + place.numel, chunk.local_begin + chunk.local_size);
  Run run;
  if (end <= begin) return run;
  run.spec_begin = begin - place.offset;
  run.local_index = chunk.local_offset + (begin - chunk.local_begin);
  run.count = end - begin;
  return run;
}

StateBytes state_bytes(const ChunkLayout& layout, bool mixed_precision) {
  const std::int64_t element = mixed_precision ? 2 : 4;
  const int stage = layout.options().stage;
  StateBytes bytes;
  bytes.param = (layout.full_size() + layout.sharded_size()) * element;
  bytes.grad = (stage <= 1 ? layout.full_size() : layout.local_size()) * element;
  // fp32 master weights (mixed precision only: in fp32 the parameters are
  // their own master) and Adam's exp_avg and exp_avg_sq, for the local piece.
  bytes.optimizer = layout.local_size() * (mixed_precision ? 12 : 8);
  return bytes;
}

}  // namespace strata::zero
