// The keys DeepSpeed defines (as of DeepSpeed 0.14-0.16), so that a ds_config
// is refused exactly when DeepSpeed would not know a key, and what Strata does
// not use yet is kept and reported rather than dropped or rejected.
#include <set>
#include <vector>

#include "config/impl/deepspeed_merge.hpp"
#include "config/impl/nearest_key.hpp"
#include "core/error.hpp"

namespace strata::config::impl {
namespace {

// Leaves Strata maps onto deck keys (deepspeed_json.cpp, deepspeed_scheduler.cpp).
const std::vector<std::string>& mapped_paths() {
  static const std::vector<std::string> paths{
      "train_batch_size",
      "train_micro_batch_size_per_gpu",
      "gradient_accumulation_steps",
      "gradient_clipping",
      "steps_per_print",
      "wall_clock_breakdown",
      "optimizer.type",
      "optimizer.params.lr",
      "optimizer.params.betas",
      "optimizer.params.eps",
      "optimizer.params.weight_decay",
      "optimizer.params.adam_w_mode",
      "optimizer.params.bias_correction",
      "optimizer.params.amsgrad",
      "scheduler.type",
      "scheduler.params.warmup_min_lr",
      "scheduler.params.warmup_max_lr",
      "scheduler.params.warmup_num_steps",
      "scheduler.params.warmup_type",
      "scheduler.params.total_num_steps",
      "scheduler.params.warmup_min_ratio",
      "scheduler.params.cos_min_ratio",
      "scheduler.params.cycle_min_lr",
      "scheduler.params.cycle_max_lr",
      "scheduler.params.decay_lr_rate",
      "scheduler.params.cycle_first_step_size",
      "scheduler.params.cycle_second_step_size",
      "scheduler.params.cycle_first_stair_count",
      "scheduler.params.cycle_second_stair_count",
      "scheduler.params.decay_step_size",
      "scheduler.params.cycle_momentum",
      "scheduler.params.cycle_min_mom",
      "scheduler.params.cycle_max_mom",
      "scheduler.params.decay_mom_rate",
      "scheduler.params.lr_range_test_min_lr",
      "scheduler.params.lr_range_test_step_size",
      "scheduler.params.lr_range_test_step_rate",
      "scheduler.params.lr_range_test_staircase",
      "fp16.enabled",
      "fp16.loss_scale",
      "fp16.initial_scale_power",
      "fp16.loss_scale_window",
      "fp16.hysteresis",
      "fp16.consecutive_hysteresis",
      "fp16.min_loss_scale",
      "bf16.enabled",
      "zero_optimization.stage",
      "zero_optimization.contiguous_gradients",
      "zero_optimization.reduce_scatter",
      "zero_optimization.reduce_bucket_size",
      "zero_optimization.allgather_partitions",
      "zero_optimization.allgather_bucket_size",
      "zero_optimization.overlap_comm",
      "zero_optimization.round_robin_gradients",
      "zero_optimization.sub_group_size",
      "zero_optimization.stage3_prefetch_bucket_size",
      "zero_optimization.stage3_param_persistence_threshold",
      "zero_optimization.stage3_max_live_parameters",
      "zero_optimization.stage3_max_reuse_distance",
      "zero_optimization.stage3_gather_16bit_weights_on_model_save",
      "zero_optimization.cpu_offload",
      "zero_optimization.cpu_offload_params",
      "zero_optimization.offload_optimizer.device",
      "zero_optimization.offload_optimizer.nvme_path",
      "zero_optimization.offload_optimizer.buffer_count",
      "zero_optimization.offload_optimizer.pin_memory",
      "zero_optimization.offload_optimizer.pipeline_read",
      "zero_optimization.offload_optimizer.pipeline_write",
      "zero_optimization.offload_optimizer.fast_init",
      "zero_optimization.offload_optimizer.ratio",
      "zero_optimization.offload_param.device",
      "zero_optimization.offload_param.nvme_path",
      "zero_optimization.offload_param.buffer_count",
      "zero_optimization.offload_param.buffer_size",
      "zero_optimization.offload_param.max_in_cpu",
      "zero_optimization.offload_param.pin_memory",
      "activation_checkpointing.partition_activations",
      "activation_checkpointing.cpu_checkpointing",
      "activation_checkpointing.contiguous_memory_optimization",
      "activation_checkpointing.number_checkpoints",
      "activation_checkpointing.synchronize_checkpoint_boundary",
      "activation_checkpointing.profile",
      "aio.block_size",
      "aio.queue_depth",
      "aio.thread_count",
      "aio.single_submit",
      "aio.overlap_events"};
  return paths;
}

// Keys DeepSpeed defines that Strata accepts and keeps but does not act on. An
// object here is kept whole: its inner keys are DeepSpeed's business.
const std::vector<std::string>& unused_paths() {
  static const std::vector<std::string> paths{
      "sparse_gradients",
      "prescale_gradients",
      "gradient_predivide_factor",
      "communication_data_type",
      "seq_parallel_communication_data_type",
      "sequence_parallel_size",
      "zero_allow_untested_optimizer",
      "zero_force_ds_cpu_optimizer",
      "memory_breakdown",
      "dump_state",
      "disable_allgather",
      "dataloader_drop_last",
      "flops_profiler",
      "tensorboard",
      "wandb",
      "csv_monitor",
      "comet",
      "comms_logger",
      "autotuning",
      "elasticity",
      "pipeline",
      "progressive_layer_drop",
      "curriculum_learning",
      "data_efficiency",
      "compression_training",
      "checkpoint",
      "data_types",
      "nebula",
      "eigenvalue",
      "quantize_training",
      "sparse_attention",
      "weight_quantization",
      "hybrid_engine",
      "timers",
      "compile",
      "amp",
      "graph_harvesting",
      "use_data_before_expert_parallelism",
      "torch_autocast",
      "tensor_parallel",
      "optimizer.legacy_fusion",
      "optimizer.params.torch_adam",
      "scheduler.params.last_batch_iteration",
      "fp16.auto_cast",
      "fp16.fp16_master_weights_and_grads",
      "bf16.immediate_grad_update",
      "zero_optimization.load_from_fp32_weights",
      "zero_optimization.elastic_checkpoint",
      "zero_optimization.ignore_unused_parameters",
      "zero_optimization.legacy_stage1",
      "zero_optimization.stage3_model_persistence_threshold",
      "zero_optimization.cpu_offload_use_pin_memory",
      "zero_optimization.zero_hpz_partition_size",
      "zero_optimization.zero_quantized_weights",
      "zero_optimization.zero_quantized_nontrainable_weights",
      "zero_optimization.zero_quantized_gradients",
      "zero_optimization.mics_shard_size",
      "zero_optimization.mics_hierarchical_params_gather",
      "zero_optimization.memory_efficient_linear",
      "zero_optimization.pipeline_loading_checkpoint",
      "zero_optimization.override_module_apply",
      "zero_optimization.use_multi_rank_bucket_allreduce",
      "zero_optimization.log_trace_cache_warnings",
      "zero_optimization.stage3_use_all_reduce_for_fetch_params",
      "zero_optimization.stage3_module_granularity_threshold",
      "zero_optimization.zeropp_loco_param",
      "zero_optimization.offload_optimizer.pipeline",
      "aio.intra_op_parallelism",
      "aio.use_gds"};
  return paths;
}

// DeepSpeed accepts these spellings too (aliases in its pydantic models).
const std::vector<std::pair<std::string, std::string>>& aliases() {
  static const std::vector<std::pair<std::string, std::string>> table{
      {"bfloat16", "bf16"},
      {"zero_optimization.prefetch_bucket_size", "zero_optimization.stage3_prefetch_bucket_size"},
      {"zero_optimization.param_persistence_threshold",
       "zero_optimization.stage3_param_persistence_threshold"},
      {"zero_optimization.model_persistence_threshold",
       "zero_optimization.stage3_model_persistence_threshold"},
      {"zero_optimization.max_live_parameters", "zero_optimization.stage3_max_live_parameters"},
      {"zero_optimization.max_reuse_distance", "zero_optimization.stage3_max_reuse_distance"},
      {"zero_optimization.gather_16bit_weights_on_model_save",
       "zero_optimization.stage3_gather_16bit_weights_on_model_save"},
      {"zero_optimization.stage3_gather_fp16_weights_on_model_save",
       "zero_optimization.stage3_gather_16bit_weights_on_model_save"}};
  return table;
}

struct Schema {
  std::set<std::string> leaves;         // mapped leaves
  std::set<std::string> unused;         // kept as JSON text
  std::set<std::string> sections;       // objects walked into
  std::vector<std::string> everything;  // for suggestions
};

const Schema& schema() {
  static const Schema built = [] {
    Schema s;
    s.leaves.insert(mapped_paths().begin(), mapped_paths().end());
    s.unused.insert(unused_paths().begin(), unused_paths().end());
    for (const auto* list : {&mapped_paths(), &unused_paths()})
      for (const auto& path : *list)
        for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
          s.sections.insert(path.substr(0, dot));
    for (const auto* set : {&s.leaves, &s.unused, &s.sections})
      s.everything.insert(s.everything.end(), set->begin(), set->end());
    return s;
  }();
  return built;
}

void walk(const nlohmann::json& object, const std::string& prefix, const std::string& file,
          Config& config) {
  for (const auto& [name, value] : object.items()) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (schema().leaves.count(path)) continue;
    if (schema().unused.count(path)) {
      config.deepspeed_unused[path] = value.dump();
      continue;
    }
    if (schema().sections.count(path)) {
      if (value.is_null()) continue;
      if (!value.is_object())
        throw_input_error(file + ": " + path,
                          std::string("expected a JSON object, got a ") + value.type_name(),
                          "write " + path + " as { ... } with DeepSpeed's keys inside");
      walk(value, path, file, config);
      continue;
    }
    const auto suggestion = nearest_key(path, schema().everything);
    throw_input_error(
        file + ": " + path, "is not a DeepSpeed config key",
        (suggestion ? "did you mean " + *suggestion + "? " : std::string()) +
            "Remove or correct it; docs/config.md lists the DeepSpeed keys Strata reads");
  }
}

}  // namespace

void check_deepspeed_keys(const nlohmann::json& root, const std::string& file, Config& config) {
  walk(root, "", file, config);
}

nlohmann::json canonical_deepspeed_names(nlohmann::json root, const std::string& file) {
  for (const auto& [alias, canonical] : aliases()) {
    const auto split = [](const std::string& path) {
      const auto dot = path.rfind('.');
      return dot == std::string::npos ? std::make_pair(std::string(), path)
                                      : std::make_pair(path.substr(0, dot), path.substr(dot + 1));
    };
    const auto [parent_path, alias_name] = split(alias);
    const std::string canonical_name = split(canonical).second;
    nlohmann::json* parent = &root;
    if (!parent_path.empty()) {
      if (!root.contains(parent_path) || !root[parent_path].is_object()) continue;
      parent = &root[parent_path];
    }
    if (!parent->contains(alias_name)) continue;
    if (parent->contains(canonical_name))
      throw_input_error(file + ": " + alias,
                        "is the same DeepSpeed setting as " + canonical + ", which is also given",
                        "keep only one of " + alias + " and " + canonical);
    (*parent)[canonical_name] = (*parent)[alias_name];
    parent->erase(alias_name);
  }
  return root;
}

}  // namespace strata::config::impl
