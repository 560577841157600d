// ParamSpec: what a parameter is (name, logical shape, how it starts, whether
// it decays), independent of where it lives. Layers declare ParamSpecs; the
// engine decides placement (whole, ZeRO shard, TP slice, offloaded) and
// initialises each piece from the spec alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
};

std::int64_t numel(const ParamSpec& spec);
std::int64_t total_numel(const std::vector<ParamSpec>& specs);

// Fills out[0 .. end-begin) with the values of logical (row-major flattened)
// elements [begin, end) of the parameter. Values depend only on (seed, name,
// logical index): a shard initialised alone equals the same slice of the
// whole tensor, on any rank, in any layout. Normal values come from the
// Philox stream keyed by the parameter's name, computed in double and
// rounded once to float.
void initialize_slice(const ParamSpec& spec, std::uint64_t seed, std::int64_t begin,
                      std::int64_t end, float* out);

}  // namespace strata::model
