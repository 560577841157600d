// A DeepSpeed ds_config.json, read as DeepSpeed reads it (duplicate keys
// refused, // and /* */ comments allowed) and mapped onto deck keys with
// DeepSpeed's defaults. The table in docs/config.md mirrors this file.
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <vector>

#include "config/impl/deepspeed_merge.hpp"
#include "config/impl/input_file.hpp"
#include "config/impl/value_text.hpp"
#include "config/load.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace strata::config {
namespace {

using impl::DeepSpeedMerge;
using nlohmann::json;

json parse_ds_config(const std::string& text, const std::string& file) {
  // DeepSpeed refuses duplicate keys; nlohmann would keep the last silently.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t refuse_duplicates = [&](int, json::parse_event_t event,
                                                        json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end) open_objects.pop_back();
    if (event == json::parse_event_t::key &&
        !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json root;
  try {
    root =
        json::parse(text, refuse_duplicates, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& error) {
    std::string detail = error.what();
    const auto tag_end = detail.find("] ");
    if (tag_end != std::string::npos) detail = detail.substr(tag_end + 2);
    throw_input_error(file, "is not valid JSON: " + detail,
                      "correct the JSON at that line and column (quotes around keys and strings, "
                      "no trailing commas)");
  }
  if (!duplicate.empty())
    throw_input_error(file + ": " + duplicate, "appears twice in the same JSON object",
                      "keep one of the two (DeepSpeed refuses duplicate keys too)");
  if (!root.is_object())
    throw_input_error(file, std::string("must hold a JSON object, got a ") + root.type_name(),
                      "write the ds_config as { \"train_batch_size\": ..., ... }");
  return root;
}

// Features whose absence would change the training itself; refuse rather than
// train something else than the user asked for.
void refuse_enabled(DeepSpeedMerge& merge, const std::string& section, const std::string& instead) {
  const std::string path = section + ".enabled";
  if (merge.find(path) && merge.text_at(path) == "true")
    throw_input_error(merge.subject(path), "is a DeepSpeed feature Strata does not implement",
                      instead);
}

std::optional<bool> enabled_flag(DeepSpeedMerge& merge, const std::string& path) {
  if (!merge.find(path) || merge.is_auto(path)) return std::nullopt;
  return impl::parse_bool(merge.text_at(path), KeyOrigin{merge.subject(path), ""});
}

void merge_precision(DeepSpeedMerge& merge) {
  const auto fp16 = enabled_flag(merge, "fp16.enabled");
  const auto bf16 = enabled_flag(merge, "bf16.enabled");
  if (fp16.value_or(false) && bf16.value_or(false))
    throw_input_error(merge.subject("fp16.enabled and bf16.enabled"), "both are true",
                      "enable one: bf16 where the hardware has it (A100, H100, MI200 and newer), "
                      "fp16 otherwise");
  // "enabled": false never overrides a deck's dtype: it only says "not this one".
  if (fp16.value_or(false)) merge.assign("precision.dtype", "fp16", "fp16.enabled");
  if (bf16.value_or(false)) merge.assign("precision.dtype", "bf16", "bf16.enabled");
  merge.map("fp16.loss_scale", "precision.loss_scale", "0", "fp16");
  merge.map("fp16.initial_scale_power", "precision.initial_scale_power", "16", "fp16");
  merge.map("fp16.loss_scale_window", "precision.loss_scale_window", "1000", "fp16");
  merge.map("fp16.hysteresis", "precision.hysteresis", "2", "fp16");
  merge.map("fp16.consecutive_hysteresis", "precision.consecutive_hysteresis", "false", "fp16");
  merge.map("fp16.min_loss_scale", "precision.min_loss_scale", "1", "fp16");
}

void merge_optimizer(DeepSpeedMerge& merge) {
  if (!merge.find("optimizer")) return;  // DeepSpeed leaves it to the client: the deck
  if (!merge.find("optimizer.type"))
    throw_input_error(merge.subject("optimizer"), "has no \"type\"",
                      "add \"type\": \"AdamW\" (Strata implements Adam and AdamW)");
  std::string type = merge.text_at("optimizer.type");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "adamw" && type != "adam")
    throw_input_error(
        merge.subject("optimizer.type"),
        "is \"" + merge.text_at("optimizer.type") + "\"; Strata implements Adam and AdamW only",
        "use \"AdamW\", or remove the optimizer block so the deck's [train] settings apply");
  // DeepSpeed's "Adam" decouples weight decay unless adam_w_mode is false.
  bool decoupled = true;
  if (type == "adam" && merge.find("optimizer.params.adam_w_mode"))
    decoupled = impl::parse_bool(merge.text_at("optimizer.params.adam_w_mode"),
                                 KeyOrigin{merge.subject("optimizer.params.adam_w_mode"), ""});
  merge.assign("train.optimizer", decoupled ? "adamw" : "adam", "optimizer.type");
  if (merge.find("optimizer.params.bias_correction") &&
      merge.text_at("optimizer.params.bias_correction") != "true")
    throw_input_error(merge.subject("optimizer.params.bias_correction"),
                      "false is not supported: Strata's Adam always corrects bias",
                      "remove the key");
  if (merge.find("optimizer.params.amsgrad") &&
      merge.text_at("optimizer.params.amsgrad") != "false")
    throw_input_error(merge.subject("optimizer.params.amsgrad"), "AMSGrad is not implemented",
                      "remove the key or set it to false");

  // WarmupLR, WarmupDecayLR and OneCycle set the learning rate themselves.
  const auto* scheduler_type = merge.find("scheduler.type");
  const bool scheduler_sets_lr = scheduler_type && scheduler_type->is_string() &&
                                 scheduler_type->get<std::string>() != "WarmupCosineLR";
  if (!scheduler_sets_lr) merge.map("optimizer.params.lr", "train.lr", "0.001", "optimizer");
  merge.map("optimizer.params.eps", "train.eps", "1e-08", "optimizer");
  merge.map("optimizer.params.weight_decay", "train.weight_decay", "0", "optimizer");

  const std::string betas = "optimizer.params.betas";
  if (merge.find(betas) && !merge.is_auto(betas)) {
    const json& pair = *merge.find(betas);
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_number())
      throw_input_error(merge.subject(betas), "expected two numbers, got " + pair.dump(),
                        "write \"betas\": [0.9, 0.999]");
    merge.assign("train.beta1", impl::format_real(pair[0].get<double>()), betas);
    merge.assign("train.beta2", impl::format_real(pair[1].get<double>()), betas);
  } else if (!merge.find(betas)) {
    merge.assign_default("train.beta1", "0.9", betas);
    merge.assign_default("train.beta2", "0.999", betas);
  }
}

void merge_zero(DeepSpeedMerge& merge) {
  const std::string z = "zero_optimization.";
  merge.map(z + "stage", "zero.stage", "0", "zero_optimization");
  // No default for overlap_comm here: DeepSpeed's depends on the stage, and
  // validate() applies it once the stage is final.
  merge.map(z + "overlap_comm", "zero.overlap_comm", std::nullopt, "");
  const std::vector<std::array<const char*, 3>> scalars{
      {"reduce_bucket_size", "zero.reduce_bucket_size", "500000000"},
      {"allgather_bucket_size", "zero.allgather_bucket_size", "500000000"},
      {"contiguous_gradients", "zero.contiguous_gradients", "true"},
      {"reduce_scatter", "zero.reduce_scatter", "true"},
      {"allgather_partitions", "zero.allgather_partitions", "true"},
      {"round_robin_gradients", "zero.round_robin_gradients", "false"},
      {"sub_group_size", "zero.sub_group_size", "1000000000"},
      {"stage3_prefetch_bucket_size", "zero.prefetch_bucket_size", "50000000"},
      {"stage3_param_persistence_threshold", "zero.param_persistence_threshold", "100000"},
      {"stage3_max_live_parameters", "zero.max_live_parameters", "1000000000"},
      {"stage3_max_reuse_distance", "zero.max_reuse_distance", "1000000000"},
      {"stage3_gather_16bit_weights_on_model_save", "zero.gather_16bit_weights_on_model_save",
       "false"}};
  for (const auto& [path, key, fallback] : scalars)
    merge.map(z + path, key, std::string(fallback), "zero_optimization");

  // The deprecated booleans, still accepted by DeepSpeed.
  for (const auto& [flag, key] : {std::pair{"cpu_offload", "offload.optimizer"},
                                  std::pair{"cpu_offload_params", "offload.param"}})
    if (merge.find(z + flag) && merge.text_at(z + flag) == "true")
      merge.assign(key, "cpu", z + flag);

  const std::string opt = z + "offload_optimizer";
  merge.map(opt + ".device", "offload.optimizer", "none", opt);
  merge.map(opt + ".nvme_path", "offload.nvme_path", "/local_nvme", opt);
  merge.map(opt + ".pin_memory", "offload.optimizer_pin_memory", "false", opt);
  merge.map(opt + ".buffer_count", "offload.optimizer_buffer_count", "4", opt);
  merge.map(opt + ".pipeline_read", "offload.optimizer_pipeline_read", "false", opt);
  merge.map(opt + ".pipeline_write", "offload.optimizer_pipeline_write", "false", opt);
  merge.map(opt + ".fast_init", "offload.optimizer_fast_init", "false", opt);
  merge.map(opt + ".ratio", "offload.optimizer_ratio", "1", opt);
  const std::string par = z + "offload_param";
  merge.map(par + ".device", "offload.param", "none", par);
  merge.map(par + ".nvme_path", "offload.nvme_path", "/local_nvme", par);
  merge.map(par + ".pin_memory", "offload.param_pin_memory", "false", par);
  merge.map(par + ".buffer_count", "offload.param_buffer_count", "5", par);
  merge.map(par + ".buffer_size", "offload.param_buffer_size", "100000000", par);
  merge.map(par + ".max_in_cpu", "offload.param_max_in_cpu", "1000000000", par);
}

void merge_rest(DeepSpeedMerge& merge) {
  // The batch triple has no defaults: validate() derives the missing ones.
  merge.map("train_batch_size", "train.global_batch", std::nullopt, "");
  merge.map("train_micro_batch_size_per_gpu", "train.micro_batch", std::nullopt, "");
  merge.map("gradient_accumulation_steps", "train.grad_accum", std::nullopt, "");
  merge.map("gradient_clipping", "train.grad_clip", "0", "");
  merge.map("steps_per_print", "log.every", "10", "");
  merge.map("wall_clock_breakdown", "log.wall_clock_breakdown", "false", "");

  // DeepSpeed leaves the switch to model code calling its checkpoint API;
  // Strata's blocks checkpoint themselves, so the section is the switch.
  const std::string ac = "activation_checkpointing";
  if (merge.find(ac)) merge.assign(ac + ".enabled", "true", ac);
  for (const char* name :
       {"partition_activations", "cpu_checkpointing", "contiguous_memory_optimization",
        "synchronize_checkpoint_boundary", "profile"})
    merge.map(ac + "." + name, ac + "." + name, "false", ac);
  merge.map(ac + ".number_checkpoints", ac + ".num_blocks", std::nullopt, ac);

  merge.map("aio.block_size", "aio.block_size", "1048576", "aio");
  merge.map("aio.queue_depth", "aio.queue_depth", "8", "aio");
  merge.map("aio.thread_count", "aio.thread_count", "1", "aio");
  merge.map("aio.single_submit", "aio.single_submit", "false", "aio");
  merge.map("aio.overlap_events", "aio.overlap_events", "true", "aio");
}

}  // namespace

void apply_deepspeed_config(const std::string& path, Config& config) {
  const json root = impl::canonical_deepspeed_names(
      parse_ds_config(impl::read_input_file(path, "ds_config"), path), path);
  DeepSpeedMerge merge(config, root, path);
  refuse_enabled(merge, "amp", "use bf16 or fp16 { \"enabled\": true } instead of Apex AMP");
  refuse_enabled(merge, "elasticity",
                 "remove the elasticity block and set the batch sizes directly");
  // Types first, so that a wrong optimizer or scheduler is reported as such,
  // not as unknown parameter names.
  merge_optimizer(merge);
  impl::merge_deepspeed_scheduler(merge);
  impl::check_deepspeed_keys(root, path, config);
  merge_precision(merge);
  merge_zero(merge);
  merge_rest(merge);
  if (!config.deepspeed_unused.empty()) {
    std::string keys;
    for (const auto& entry : config.deepspeed_unused)
      keys += (keys.empty() ? "" : ", ") + entry.first;
    log::warn(path, ": DeepSpeed keys accepted but not used by Strata yet: ", keys);
  }
}

}  // namespace strata::config
