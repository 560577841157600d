// Top-k / temperature sampling in double, so tiny probabilities survive.
#include "sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace strata::generate {

std::uint32_t sample_token(const std::vector<float>& logits, double temperature, int top_k,
                           double u) {
  std::vector<std::uint32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0u);
  // Highest logit first; stable so equal logits keep id order.
  std::stable_sort(ids.begin(), ids.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return logits[a] > logits[b]; });
  if (temperature <= 0 || ids.size() == 1) return ids.front();
  if (top_k > 0 && static_cast<std::size_t>(top_k) < ids.size())
    ids.resize(static_cast<std::size_t>(top_k));
  const double top = logits[ids.front()];
  std::vector<double> weights;
  for (auto id : ids) weights.push_back(std::exp((logits[id] - top) / temperature));
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double target = u * total;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (target < weights[i]) return ids[i];
    target -= weights[i];
  }
  return ids.back();  // u·total rounded up to the very end
}

}  // namespace strata::generate
