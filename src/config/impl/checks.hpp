// Helpers for validate(): each check names the key as the user wrote it (deck
// or ds_config), where it was set, and how to fix it.
#pragma once

#include <string>

#include "config/config.hpp"

namespace strata::config::impl {

class Checks {
 public:
  explicit Checks(Config& config) : config_(config) {}

  // "[train] lr" or, when a ds_config set it, "ds.json: optimizer.params.lr".
  std::string name(const std::string& key) const;
  // " (run.ini:7)" when the deck or command line set it; "" otherwise.
  std::string where(const std::string& key) const;
  // "set [train] lr" / "set optimizer.params.lr in ds.json": the start of a fix.
  std::string set(const std::string& key) const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem,
                         const std::string& fix) const;
  void at_least(const std::string& key, long long value, long long minimum) const;
  void in_range(const std::string& key, long long value, long long low, long long high) const;
  // low <= value < high (or <= high when high_inclusive).
  void fraction(const std::string& key, double value, double low, double high,
                bool high_inclusive = false) const;
  void non_negative(const std::string& key, double value) const;

  Config& config() const { return config_; }

 private:
  Config& config_;
};

// The parts of validate() that concern layout and batch sizes.
void validate_layout(Checks& checks, int world_size);

}  // namespace strata::config::impl
