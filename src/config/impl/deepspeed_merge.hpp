// How one ds_config value lands in a Config: DeepSpeed's defaults for keys it
// omits, "auto" for "keep the deck's value", and a contradiction check against
// values the user set by hand. Shared by the ds_config mapping files.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace strata::config::impl {

class DeepSpeedMerge {
 public:
  DeepSpeedMerge(Config& config, const nlohmann::json& root, std::string file);

  // The value at a dotted JSON path; nullptr when absent or null.
  const nlohmann::json* find(const std::string& path) const;
  // True for a present value that is the string "auto".
  bool is_auto(const std::string& path) const;
  // The error subject for a JSON path: "ds.json: zero_optimization.stage".
  std::string subject(const std::string& path) const;
  // A scalar as deck text (numbers, booleans, strings); objects and arrays
  // are input errors.
  std::string text_at(const std::string& path) const;

  // One DeepSpeed key onto one deck key. Present: assign(). "auto": the deck's
  // value stays. Omitted: ds_default applies if the object `scope` ("" = the
  // root) is present and the user did not set deck_key.
  void map(const std::string& path, const std::string& deck_key,
           const std::optional<std::string>& ds_default, const std::string& scope);
  // Sets deck_key from DeepSpeed key `path`. A value the deck set by hand that
  // differs is an error naming both; a command-line override wins silently.
  void assign(const std::string& deck_key, const std::string& text, const std::string& path);
  // Sets deck_key unless the user set it: DeepSpeed's default for `path`.
  void assign_default(const std::string& deck_key, const std::string& text,
                      const std::string& path);

  Config& config() { return config_; }
  const std::string& file() const { return file_; }

 private:
  Config& config_;
  const nlohmann::json& root_;
  std::string file_;
};

// Checks every key of a ds_config against the keys DeepSpeed defines; an
// unknown one is an input error naming its JSON path and the nearest valid
// key. Keys DeepSpeed defines but Strata does not use are copied, as JSON
// text, into config.deepspeed_unused. root must already be canonical.
void check_deepspeed_keys(const nlohmann::json& root, const std::string& file, Config& config);

// Renames DeepSpeed's alternative spellings (bfloat16, prefetch_bucket_size,
// ...) to the names the mapping uses; both spellings at once is an error.
nlohmann::json canonical_deepspeed_names(nlohmann::json root, const std::string& file);

// The scheduler block: its type and params onto [train] and [onecycle].
void merge_deepspeed_scheduler(DeepSpeedMerge& merge);

}  // namespace strata::config::impl
