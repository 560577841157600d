// Edit-distance suggestions. Plain dynamic programming: key lists are a few
// hundred short strings at most, checked once per error.
#include "config/impl/nearest_key.hpp"

#include <algorithm>
#include <numeric>

namespace strata::config::impl {
namespace {

std::string last_component(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> nearest_key(const std::string& wrong,
                                       const std::vector<std::string>& candidates) {
  const std::string wrong_name = last_component(wrong);
  for (const auto& candidate : candidates)
    if (candidate != wrong && last_component(candidate) == wrong_name) return candidate;

  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(wrong, candidate);
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best) return std::nullopt;
  const std::size_t allowed = std::max<std::size_t>(2, std::max(wrong.size(), best->size()) / 3);
  if (best_distance > allowed) return std::nullopt;
  return best;
}

}  // namespace strata::config::impl
