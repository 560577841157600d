// Shared by the checkpoint tests: a small model's tensors with known values,
// per-rank slices of them, and a scratch directory every rank agrees on.
#pragma once

#include <mpi.h>
#include <stdlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "io/checkpoint/checkpoint.hpp"

namespace strata::io::testing {

struct TensorSpec {
  std::string name;
  std::vector<std::uint64_t> shape;
};

// Odd sizes on purpose: halves split rows, and the 3-D one splits planes.
inline std::vector<TensorSpec> small_model() {
  return {{"wte.weight", {7, 5}},
          {"h.0/attn.c_attn.weight", {3, 4, 5}},
          {"ln_f.bias", {9}},
          {"scale", {1}}};
}

inline std::uint64_t numel(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto extent : shape) n *= extent;
  return n;
}

// Element i of buffer `which` (0 param, 1 exp_avg, 2 exp_avg_sq) of tensor t.
// Exactly representable, so h5py can recompute it: the file must hold these
// bits, not values near them.
inline float expected_value(std::size_t t, std::uint64_t i, int which) {
  return static_cast<float>((t + 1) * 1000) + 0.5f * static_cast<float>(i) + 0.25f * which;
}

// Part `part` of `parts` equal-ish contiguous runs of the flattened tensor.
inline TensorSlice part_of(const std::vector<std::uint64_t>& shape, int part, int parts) {
  const std::uint64_t n = numel(shape);
  const std::uint64_t begin = n * part / parts, end = n * (part + 1) / parts;
  return TensorSlice::contiguous(shape, begin, end - begin);
}

// Buffers for one tensor's slice, filled with expected values or zeros.
struct ShardBuffers {
  std::string name;
  TensorSlice slice;
  std::vector<float> data[3];
};

inline std::vector<ShardBuffers> make_buffers(const std::vector<TensorSpec>& model,
                                              const std::vector<TensorSlice>& slices, bool fill) {
  std::vector<ShardBuffers> out;
  for (std::size_t t = 0; t < model.size(); ++t) {
    ShardBuffers b{model[t].name, slices[t], {}};
    for (int which = 0; which < 3; ++which) {
      b.data[which].assign(slices[t].count(), 0.0f);
      if (!fill) continue;
      std::size_t k = 0;  // the runs back to back
      for (const FlatRun& run : slices[t].runs)
        for (std::uint64_t i = run.offset; i < run.offset + run.count; ++i)
          b.data[which][k++] = expected_value(t, i, which);
    }
    out.push_back(std::move(b));
  }
  return out;
}

inline std::vector<ParameterShard> shards_of(const std::vector<ShardBuffers>& buffers) {
  std::vector<ParameterShard> out;
  for (const auto& b : buffers)
    out.push_back({b.name, b.slice, b.data[0].data(), b.data[1].data(), b.data[2].data()});
  return out;
}

inline std::vector<ParameterTarget> targets_of(std::vector<ShardBuffers>& buffers) {
  std::vector<ParameterTarget> out;
  for (auto& b : buffers)
    out.push_back({b.name, b.slice, b.data[0].data(), b.data[1].data(), b.data[2].data()});
  return out;
}

inline CheckpointState sample_state(std::uint64_t step) {
  CheckpointState state;
  state.step = step;
  state.optimizer_step = step - 1;  // one fp16 overflow skipped
  state.rng_seed = 0x1234567890abcdefull;
  state.rng_counters = {{"dropout", 123456789012ull}, {"init", 7}};
  state.data_step = step;
  state.sample_cursor = step * 32 + 5;
  state.config = "[train]\nlr = 0.0006  # the peak\nseed = 1337\n[output]\ndir = out-é\n";
  return state;
}

using strata::testing::SharedScratchDir;

}  // namespace strata::io::testing
