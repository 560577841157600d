// DeepSpeed's scheduler block onto Strata's schedule keys. Each DeepSpeed
// scheduler is one of Strata's shapes (constant, linear, cosine, onecycle)
// with a warmup; the params keep DeepSpeed's names, defaults and meaning.
#include <algorithm>
#include <vector>

#include "config/impl/deepspeed_merge.hpp"
#include "config/impl/nearest_key.hpp"
#include "config/impl/value_text.hpp"
#include "core/error.hpp"

namespace strata::config::impl {
namespace {

const std::vector<std::string>& params_of(const std::string& type) {
  static const std::vector<std::string> warmup{"warmup_min_lr", "warmup_max_lr", "warmup_num_steps",
                                               "warmup_type", "last_batch_iteration"};
  static const std::vector<std::string> warmup_decay{"warmup_min_lr",    "warmup_max_lr",
                                                     "warmup_num_steps", "warmup_type",
                                                     "total_num_steps",  "last_batch_iteration"};
  static const std::vector<std::string> warmup_cosine{"total_num_steps",  "warmup_min_ratio",
                                                      "warmup_num_steps", "cos_min_ratio",
                                                      "warmup_type",      "last_batch_iteration"};
  static const std::vector<std::string> one_cycle{"cycle_min_lr",
                                                  "cycle_max_lr",
                                                  "decay_lr_rate",
                                                  "cycle_first_step_size",
                                                  "cycle_second_step_size",
                                                  "cycle_first_stair_count",
                                                  "cycle_second_stair_count",
                                                  "decay_step_size",
                                                  "cycle_momentum",
                                                  "cycle_min_mom",
                                                  "cycle_max_mom",
                                                  "decay_mom_rate",
                                                  "last_batch_iteration"};
  if (type == "WarmupLR") return warmup;
  if (type == "WarmupDecayLR") return warmup_decay;
  if (type == "WarmupCosineLR") return warmup_cosine;
  return one_cycle;
}

// DeepSpeed passes params to the scheduler's constructor, which refuses
// names it does not take; so do we, per type.
void check_param_names(DeepSpeedMerge& merge, const std::string& type) {
  const nlohmann::json* params = merge.find("scheduler.params");
  if (!params || !params->is_object()) return;
  const auto& allowed = params_of(type);
  for (const auto& item : params->items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
    const auto suggestion = nearest_key(item.key(), allowed);
    throw_input_error(
        merge.subject("scheduler.params." + item.key()),
        "is not a parameter of DeepSpeed's " + type + " scheduler",
        (suggestion ? "did you mean " + *suggestion + "? " : std::string()) + type +
            " takes: " + [&] {
              std::string list;
              for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
              return list;
            }());
  }
}

// WarmupCosineLR gives its floors as fractions of the optimizer's lr.
void map_ratio(DeepSpeedMerge& merge, const std::string& param, const std::string& deck_key,
               double ds_default) {
  const std::string path = "scheduler.params." + param;
  const double lr = merge.config().train.lr;
  if (merge.find(path)) {
    if (merge.is_auto(path)) return;
    const double ratio = parse_real(merge.text_at(path), KeyOrigin{merge.subject(path), ""});
    merge.assign(deck_key, format_real(ratio * lr), path);
  } else {
    merge.assign_default(deck_key, format_real(ds_default * lr), path);
  }
}

}  // namespace

void merge_deepspeed_scheduler(DeepSpeedMerge& merge) {
  if (!merge.find("scheduler")) return;  // DeepSpeed leaves it to the client: the deck
  if (!merge.find("scheduler.type"))
    throw_input_error(merge.subject("scheduler"), "has no \"type\"",
                      "add \"type\": one of WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle");
  const std::string type = merge.text_at("scheduler.type");
  if (type == "LRRangeTest")
    throw_input_error(merge.subject("scheduler.type"),
                      "LRRangeTest is a DeepSpeed tuning sweep that Strata does not run",
                      "use WarmupLR, WarmupDecayLR, WarmupCosineLR or OneCycle");
  if (type != "WarmupLR" && type != "WarmupDecayLR" && type != "WarmupCosineLR" &&
      type != "OneCycle") {
    const auto suggestion = nearest_key(
        type, {"WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest"});
    throw_input_error(merge.subject("scheduler.type"),
                      "\"" + type + "\" is not a DeepSpeed scheduler",
                      (suggestion ? "did you mean " + *suggestion + "? " : std::string()) +
                          "Use one of WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle "
                          "(the names are case-sensitive)");
  }
  check_param_names(merge, type);
  const std::string p = "scheduler.params.";
  const std::string scope = "scheduler";

  if (type == "OneCycle") {
    merge.assign("train.lr_schedule", "onecycle", "scheduler.type");
    merge.assign("train.warmup_steps", "0", "scheduler.type");  // the first half-cycle is the ramp
    merge.map(p + "cycle_min_lr", "train.min_lr", std::nullopt, scope);
    merge.map(p + "cycle_max_lr", "train.lr", std::nullopt, scope);
    const std::vector<std::pair<const char*, const char*>> defaults{
        {"decay_lr_rate", "0"},
        {"cycle_first_step_size", "2000"},
        {"cycle_second_step_size", "0"},
        {"cycle_first_stair_count", "0"},
        {"cycle_second_stair_count", "0"},
        {"decay_step_size", "0"},
        {"cycle_momentum", "true"},
        {"cycle_min_mom", "0.8"},
        {"cycle_max_mom", "0.9"},
        {"decay_mom_rate", "0"}};
    for (const auto& [name, fallback] : defaults)
      merge.map(p + name, std::string("onecycle.") + name, std::string(fallback), scope);
    return;
  }

  merge.assign("train.lr_schedule",
               type == "WarmupLR"        ? "constant"
               : type == "WarmupDecayLR" ? "linear"
                                         : "cosine",
               "scheduler.type");
  merge.map(p + "warmup_num_steps", "train.warmup_steps", "1000", scope);
  merge.map(p + "warmup_type", "train.warmup_type", "log", scope);
  if (type != "WarmupLR")
    merge.map(p + "total_num_steps", "train.decay_steps", std::nullopt, scope);
  if (type == "WarmupCosineLR") {
    map_ratio(merge, "warmup_min_ratio", "train.warmup_start_lr", 0.0);
    map_ratio(merge, "cos_min_ratio", "train.min_lr", 0.0001);
    return;
  }
  merge.map(p + "warmup_max_lr", "train.lr", "0.001", scope);
  merge.map(p + "warmup_min_lr", "train.warmup_start_lr", "0", scope);
  // WarmupDecayLR decays linearly back down to warmup_min_lr.
  if (type == "WarmupDecayLR") merge.map(p + "warmup_min_lr", "train.min_lr", "0", scope);
}

}  // namespace strata::config::impl
