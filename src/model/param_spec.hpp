// ParamSpec: what a parameter is (name, logical shape, how it starts, whether
// it decays), independent of where it lives. Layers declare ParamSpecs; the
// engine decides placement (whole, ZeRO shard, TP slice, offloaded) and
// initialises each piece from the spec alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/tensor_split.hpp"

namespace strata::model {

enum class InitRule {
  normal,  // N(0, std^2)
  zeros,
  ones,
};

struct ParamSpec {
  std::string name;            // dotted, PyTorch-style: "h.3.attn.c_proj.weight"
  std::vector<int64_t> shape;  // logical shape, as the unpartitioned model has it
  InitRule init = InitRule::zeros;
  double std = 0.0;  // for InitRule::normal
  // AdamW's decoupled weight decay applies to matrices only: GPT-2 practice
  // (and nanoGPT's) exempts biases and LayerNorm gains and shifts.
  bool weight_decay = false;
  // Under tensor parallelism, the block of the logical tensor this rank
  // holds (tensor_split.hpp); absent when every TP rank holds it whole
  // (LayerNorms, wpe, and everything without TP).
  std::optional<TensorSplit> split;
};

// Elements of the logical tensor (the unpartitioned model's).
std::int64_t numel(const ParamSpec& spec);
std::int64_t total_numel(const std::vector<ParamSpec>& specs);
// Elements this rank holds: numel, or its TP block's.
std::int64_t local_numel(const ParamSpec& spec);

// This rank's elements [local_begin, local_end) of the parameter as runs of
// the logical tensor: one run [local_begin, local_end) without a split.
std::vector<LogicalRun> local_runs(const ParamSpec& spec, std::int64_t local_begin,
                                   std::int64_t local_end);

// Fills out[0 .. end-begin) with the values of logical (row-major flattened)
// elements [begin, end) of the parameter. Values depend only on (seed, name,
// logical index): a shard initialised alone equals the same slice of the
// whole tensor, on any rank, in any layout. Normal values come from the
// Philox stream keyed by the parameter's name, computed in double and
// rounded once to float.
void initialize_slice(const ParamSpec& spec, std::uint64_t seed, std::int64_t begin,
                      std::int64_t end, float* out);
// The same for this rank's local elements [local_begin, local_end) of a
// TP-split parameter (each local element gets its logical element's value).
void initialize_local_slice(const ParamSpec& spec, std::uint64_t seed, std::int64_t local_begin,
                            std::int64_t local_end, float* out);

}  // namespace strata::model
