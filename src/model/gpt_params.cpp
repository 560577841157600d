// GPT-2's parameters and initialisation: N(0, 0.02) for weights, zeros for
// biases, ones for LayerNorm gains, and the residual projections (attn.c_proj,
// mlp.c_proj) scaled by 1/sqrt(2·n_layer) because each block adds two of
// them to the residual stream.
#include "model/gpt_params.hpp"

#include <cmath>
#include <string>

namespace strata::model {
namespace {

constexpr double kInitStd = 0.02;

ParamSpec weight(std::string name, std::vector<int64_t> shape, double std) {
  return ParamSpec{std::move(name), std::move(shape), InitRule::normal, std, true, std::nullopt};
}
ParamSpec bias(std::string name, int64_t size) {
  return ParamSpec{std::move(name), {size}, InitRule::zeros, 0.0, false, std::nullopt};
}
ParamSpec gain(std::string name, int64_t size) {
  return ParamSpec{std::move(name), {size}, InitRule::ones, 0.0, false, std::nullopt};
}

void add_layer_norm(std::vector<ParamSpec>& specs, const std::string& prefix, int64_t size,
                    bool with_bias) {
  specs.push_back(gain(prefix + ".weight", size));
  if (with_bias) specs.push_back(bias(prefix + ".bias", size));
}

void add_linear(std::vector<ParamSpec>& specs, const std::string& prefix, int64_t out, int64_t in,
                double std, bool with_bias) {
  specs.push_back(weight(prefix + ".weight", {out, in}, std));
  if (with_bias) specs.push_back(bias(prefix + ".bias", out));
}

}  // namespace

std::vector<ParamSpec> gpt_embedding_params(const GptShape& shape) {
  return {weight("wte.weight", {shape.vocab_size, shape.n_embd}, kInitStd),
          weight("wpe.weight", {shape.block_size, shape.n_embd}, kInitStd)};
}

std::vector<ParamSpec> gpt_block_params(const GptShape& shape, int layer) {
  const std::string prefix = "h." + std::to_string(layer);
  const int64_t c = shape.n_embd;
  const double residual_std = kInitStd / std::sqrt(2.0 * shape.n_layer);
  std::vector<ParamSpec> specs;
  add_layer_norm(specs, prefix + ".ln_1", c, shape.bias);
  add_linear(specs, prefix + ".attn.c_attn", 3 * c, c, kInitStd, shape.bias);
  add_linear(specs, prefix + ".attn.c_proj", c, c, residual_std, shape.bias);
  add_layer_norm(specs, prefix + ".ln_2", c, shape.bias);
  add_linear(specs, prefix + ".mlp.c_fc", 4 * c, c, kInitStd, shape.bias);
  add_linear(specs, prefix + ".mlp.c_proj", c, 4 * c, residual_std, shape.bias);
  return specs;
}

std::vector<ParamSpec> gpt_final_norm_params(const GptShape& shape) {
  std::vector<ParamSpec> specs;
  add_layer_norm(specs, "ln_f", shape.n_embd, shape.bias);
  return specs;
}

std::vector<ParamSpec> gpt_params(const GptShape& shape) {
  std::vector<ParamSpec> specs = gpt_embedding_params(shape);
  for (int layer = 0; layer < shape.n_layer; ++layer) {
    const std::vector<ParamSpec> block = gpt_block_params(shape, layer);
    specs.insert(specs.end(), block.begin(), block.end());
  }
  const std::vector<ParamSpec> final_norm = gpt_final_norm_params(shape);
  specs.insert(specs.end(), final_norm.begin(), final_norm.end());
  return specs;
}

std::vector<ParamSpec> split_for_tensor_parallel(std::vector<ParamSpec> specs, int rank,
                                                 int ranks) {
  if (ranks == 1) return specs;
  auto ends_with = [](const std::string& name, const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (auto& spec : specs) {
    if (spec.split) continue;
    const std::string& n = spec.name;
    if (n == "wte.weight" || ends_with(n, "mlp.c_fc.weight") || ends_with(n, "mlp.c_fc.bias"))
      spec.split = TensorSplit{0, 1, rank, ranks};
    else if (ends_with(n, "attn.c_attn.weight") || ends_with(n, "attn.c_attn.bias"))
      spec.split = TensorSplit{0, 3, rank, ranks};
    else if (ends_with(n, "c_proj.weight"))
      spec.split = TensorSplit{1, 1, rank, ranks};
  }
  return specs;
}

double gpt_train_flops_per_token(const GptShape& shape, int sequence_length) {
  const double position_params = static_cast<double>(shape.block_size) * shape.n_embd;
  const double n = static_cast<double>(total_numel(gpt_params(shape))) - position_params;
  const double attention = 12.0 * shape.n_layer * shape.n_embd * sequence_length;
  return 6.0 * n + attention;
}

}  // namespace strata::model
