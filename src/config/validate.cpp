// validate(): per-key ranges, cross-key rules and the defaults that depend on
// other keys. Layout and batch sizes are in validate_layout.cpp.
#include "config/validate.hpp"

#include "config/impl/checks.hpp"
#include "config/impl/key_table.hpp"
#include "config/impl/value_text.hpp"
#include "core/error.hpp"

namespace strata::config {
namespace impl {

std::string Checks::name(const std::string& key) const {
  const auto found = config_.origins.find(key);
  return found == config_.origins.end() ? deck_subject(key) : found->second.subject;
}

std::string Checks::where(const std::string& key) const {
  const auto found = config_.origins.find(key);
  return found == config_.origins.end() ? "" : where_suffix(found->second);
}

std::string Checks::set(const std::string& key) const {
  const auto found = config_.origins.find(key);
  if (found != config_.origins.end() &&
      found->second.subject.rfind(found->second.where + ": ", 0) == 0)
    return "set " + found->second.subject.substr(found->second.where.size() + 2) + " in " +
           found->second.where;
  return "set " + deck_subject(key);
}

void Checks::fail(const std::string& key, const std::string& problem,
                  const std::string& fix) const {
  throw_input_error(name(key), problem + where(key), fix);
}

void Checks::at_least(const std::string& key, long long value, long long minimum) const {
  if (value < minimum)
    fail(key, "must be at least " + std::to_string(minimum) + ", got " + std::to_string(value),
         set(key) + " to " + std::to_string(minimum) + " or more");
}

void Checks::in_range(const std::string& key, long long value, long long low,
                      long long high) const {
  if (value < low || value > high)
    fail(key,
         "must be from " + std::to_string(low) + " to " + std::to_string(high) + ", got " +
             std::to_string(value),
         set(key) + " to a value from " + std::to_string(low) + " to " + std::to_string(high));
}

void Checks::fraction(const std::string& key, double value, double low, double high,
                      bool high_inclusive) const {
  const bool inside = value >= low && (high_inclusive ? value <= high : value < high);
  if (!inside) {
    const std::string range =
        "[" + format_real(low) + ", " + format_real(high) + (high_inclusive ? "]" : ")");
    fail(key, "must be in " + range + ", got " + format_real(value),
         set(key) + " to a value in " + range);
  }
}

void Checks::non_negative(const std::string& key, double value) const {
  if (value < 0)
    fail(key, "cannot be negative, got " + format_real(value), set(key) + " to 0 or more");
}

}  // namespace impl

namespace {

void validate_model(const impl::Checks& c) {
  const ModelSection& m = c.config().model;
  c.at_least("model.n_layer", m.n_layer, 1);
  c.at_least("model.n_head", m.n_head, 1);
  c.at_least("model.n_embd", m.n_embd, 1);
  c.at_least("model.block_size", m.block_size, 1);
  c.at_least("model.vocab_size", m.vocab_size, 1);
  if (m.n_embd % m.n_head != 0) {
    const int below = m.n_embd - m.n_embd % m.n_head;
    c.fail("model.n_embd",
           std::to_string(m.n_embd) + " is not divisible by [model] n_head = " +
               std::to_string(m.n_head) + " (every head gets n_embd / n_head channels)",
           "make n_embd a multiple of n_head" +
               (below > 0 ? ", e.g. " + std::to_string(below) + " or " : ", e.g. ") +
               std::to_string(below + m.n_head) + ", or pick an n_head that divides n_embd");
  }
  c.fraction("model.dropout", m.dropout, 0.0, 1.0);
  if (c.config().data.tokenizer == Tokenizer::gpt2 && m.vocab_size < 50257)
    c.fail("model.vocab_size",
           "is " + std::to_string(m.vocab_size) +
               ", but the GPT-2 tokenizer ([data] tokenizer = gpt2) emits ids up to 50256",
           c.set("model.vocab_size") + " to 50257 or more (50304 is GPU-friendly)");
  c.fraction("data.val_fraction", c.config().data.val_fraction, 0.0, 1.0);
}

void validate_schedule(impl::Checks& c) {
  TrainSection& t = c.config().train;
  c.at_least("train.steps", t.steps, 1);
  c.non_negative("train.lr", t.lr);
  c.non_negative("train.min_lr", t.min_lr);
  c.non_negative("train.warmup_start_lr", t.warmup_start_lr);
  if (t.lr_schedule != LrSchedule::constant && t.min_lr > t.lr)
    c.fail("train.min_lr",
           "is " + impl::format_real(t.min_lr) +
               ", above the peak [train] lr = " + impl::format_real(t.lr),
           c.set("train.min_lr") + " to at most " + impl::format_real(t.lr) + ", or raise the lr");
  if (t.warmup_start_lr > t.lr)
    c.fail("train.warmup_start_lr",
           "is " + impl::format_real(t.warmup_start_lr) +
               ", above the peak [train] lr = " + impl::format_real(t.lr),
           c.set("train.warmup_start_lr") + " to at most " + impl::format_real(t.lr));
  c.at_least("train.warmup_steps", t.warmup_steps, 0);
  if (t.warmup_steps > t.steps)
    c.fail("train.warmup_steps",
           "is " + std::to_string(t.warmup_steps) +
               ", more than [train] steps = " + std::to_string(t.steps),
           c.set("train.warmup_steps") + " to at most " + std::to_string(t.steps) +
               ", or train longer");
  c.at_least("train.decay_steps", t.decay_steps, 0);
  if (t.decay_steps == 0) t.decay_steps = t.steps;
  if ((t.lr_schedule == LrSchedule::linear || t.lr_schedule == LrSchedule::cosine) &&
      t.decay_steps < t.warmup_steps)
    c.fail("train.decay_steps",
           "is " + std::to_string(t.decay_steps) + ", shorter than the warmup (" +
               std::to_string(t.warmup_steps) + " steps)",
           c.set("train.decay_steps") + " to at least warmup_steps, or 0 to decay over all steps");
  c.non_negative("train.weight_decay", t.weight_decay);
  c.fraction("train.beta1", t.beta1, 0.0, 1.0);
  c.fraction("train.beta2", t.beta2, 0.0, 1.0);
  if (!(t.eps > 0))
    c.fail("train.eps", "must be positive, got " + impl::format_real(t.eps),
           c.set("train.eps") + " to e.g. 1e-8");
  c.non_negative("train.grad_clip", t.grad_clip);
  c.at_least("train.eval_every", t.eval_every, 0);
  c.at_least("train.eval_steps", t.eval_steps, t.eval_every > 0 ? 1 : 0);

  if (t.lr_schedule != LrSchedule::onecycle) return;
  OneCycleSection& o = c.config().onecycle;
  if (t.warmup_steps != 0)
    c.fail("train.warmup_steps",
           "must be 0 with lr_schedule = onecycle, got " + std::to_string(t.warmup_steps),
           c.set("train.warmup_steps") +
               " to 0: the cycle's first half (cycle_first_step_size) is the ramp");
  c.at_least("onecycle.cycle_first_step_size", o.cycle_first_step_size, 1);
  c.at_least("onecycle.cycle_second_step_size", o.cycle_second_step_size, 0);
  c.at_least("onecycle.cycle_first_stair_count", o.cycle_first_stair_count, 0);
  c.at_least("onecycle.cycle_second_stair_count", o.cycle_second_stair_count, 0);
  c.at_least("onecycle.decay_step_size", o.decay_step_size, 0);
  c.non_negative("onecycle.decay_lr_rate", o.decay_lr_rate);
  c.non_negative("onecycle.decay_mom_rate", o.decay_mom_rate);
  c.fraction("onecycle.cycle_min_mom", o.cycle_min_mom, 0.0, 1.0);
  c.fraction("onecycle.cycle_max_mom", o.cycle_max_mom, 0.0, 1.0);
  if (o.cycle_min_mom > o.cycle_max_mom)
    c.fail("onecycle.cycle_min_mom",
           "is above cycle_max_mom (" + impl::format_real(o.cycle_min_mom) + " > " +
               impl::format_real(o.cycle_max_mom) + ")",
           "swap them or make cycle_min_mom <= cycle_max_mom");
  if (o.cycle_second_step_size == 0) o.cycle_second_step_size = o.cycle_first_step_size;
  if (o.cycle_second_stair_count == 0) o.cycle_second_stair_count = o.cycle_first_stair_count;
}

void validate_zero_and_offload(impl::Checks& c) {
  Config& cfg = c.config();
  c.in_range("zero.stage", cfg.zero.stage, 0, 3);
  if (!cfg.is_set("zero.overlap_comm"))
    cfg.zero.overlap_comm = cfg.zero.stage == 3;  // DeepSpeed's rule
  c.at_least("zero.reduce_bucket_size", cfg.zero.reduce_bucket_size, 1);
  c.at_least("zero.allgather_bucket_size", cfg.zero.allgather_bucket_size, 1);
  for (const char* key :
       {"zero.prefetch_bucket_size", "zero.param_persistence_threshold", "zero.max_live_parameters",
        "zero.max_reuse_distance", "zero.sub_group_size"})
    c.at_least(key, std::stoll(impl::key_spec(key).get(cfg)), 0);

  const OffloadSection& o = cfg.offload;
  if (o.param != OffloadDevice::none && cfg.zero.stage != 3)
    c.fail("offload.param",
           "is " + to_string(o.param) + " but [zero] stage is " + std::to_string(cfg.zero.stage) +
               "; parameters are offloaded only under ZeRO-3",
           "set [zero] stage = 3, or " + c.set("offload.param") + " to none");
  if (o.optimizer != OffloadDevice::none && cfg.zero.stage == 0)
    c.fail("offload.optimizer",
           "is " + to_string(o.optimizer) +
               " but [zero] stage is 0; optimizer offload works on ZeRO partitions",
           "set [zero] stage to 1, 2 or 3, or " + c.set("offload.optimizer") + " to none");
  if ((o.param == OffloadDevice::nvme || o.optimizer == OffloadDevice::nvme) && o.nvme_path.empty())
    c.fail("offload.nvme_path", "is empty but offloading to nvme needs a directory",
           c.set("offload.nvme_path") + " to a directory on a local NVMe drive, e.g. /local_nvme");
  c.at_least("offload.optimizer_buffer_count", o.optimizer_buffer_count, 1);
  c.at_least("offload.param_buffer_count", o.param_buffer_count, 1);
  c.at_least("offload.param_buffer_size", o.param_buffer_size, 1);
  c.at_least("offload.param_max_in_cpu", o.param_max_in_cpu, 0);
  if (!(o.optimizer_ratio > 0 && o.optimizer_ratio <= 1))
    c.fail("offload.optimizer_ratio",
           "must be in (0, 1], got " + impl::format_real(o.optimizer_ratio),
           c.set("offload.optimizer_ratio") +
               " to a fraction such as 1 (all of the optimizer offloaded)");
  c.at_least("aio.block_size", cfg.aio.block_size, 1);
  c.at_least("aio.queue_depth", cfg.aio.queue_depth, 1);
  c.at_least("aio.thread_count", cfg.aio.thread_count, 1);
}

void validate_activation_checkpointing(const impl::Checks& c) {
  const Config& cfg = c.config();
  const ActivationCheckpointingSection& a = cfg.activation_checkpointing;
  const std::string blocks = "activation_checkpointing.num_blocks";
  c.at_least(blocks, a.num_blocks, 0);
  if (a.num_blocks > cfg.model.n_layer)
    c.fail(blocks,
           "is " + std::to_string(a.num_blocks) + " but the model has " +
               std::to_string(cfg.model.n_layer) + " blocks ([model] n_layer)",
           c.set(blocks) + " to at most " + std::to_string(cfg.model.n_layer) +
               ", or to 0 to checkpoint every block");
  if (a.partition_activations)
    c.fail("activation_checkpointing.partition_activations",
           "is true, but splitting the checkpointed block inputs across tensor-parallel ranks "
           "is not built (each TP rank keeps them whole)",
           c.set("activation_checkpointing.partition_activations") + " to false");
  if (a.cpu_checkpointing)
    c.fail("activation_checkpointing.cpu_checkpointing",
           "is true, but keeping checkpoints in host memory is not built (it needs "
           "activation offload)",
           c.set("activation_checkpointing.cpu_checkpointing") +
               " to false; checkpointing itself keeps one [B·T, C] tensor per block");
}

void validate_rest(impl::Checks& c) {
  Config& cfg = c.config();
  const PrecisionSection& p = cfg.precision;
  c.non_negative("precision.loss_scale", p.loss_scale);
  c.in_range("precision.initial_scale_power", p.initial_scale_power, 0, 63);
  c.at_least("precision.loss_scale_window", p.loss_scale_window, 1);
  c.at_least("precision.hysteresis", p.hysteresis, 1);
  if (!(p.min_loss_scale > 0))
    c.fail("precision.min_loss_scale",
           "must be positive, got " + impl::format_real(p.min_loss_scale),
           c.set("precision.min_loss_scale") + " to e.g. 1");
  validate_activation_checkpointing(c);
  c.at_least("comm.timeout_s", cfg.comm.timeout_s, 1);
  c.at_least("checkpoint.every", cfg.checkpoint.every, 0);
  c.at_least("log.every", cfg.log.every, 1);
  if (cfg.output.dir.empty())
    c.fail("output.dir", "is empty", c.set("output.dir") + " to the run directory, e.g. out");
  if (cfg.checkpoint.dir.empty()) cfg.checkpoint.dir = cfg.output.dir + "/checkpoints";
}

}  // namespace

void validate(Config& config, int world_size) {
  if (world_size < 1)
    throw_input_error("world size", "must be at least 1, got " + std::to_string(world_size),
                      "launch with mpirun/srun and at least one rank");
  impl::Checks checks(config);
  validate_model(checks);
  impl::validate_layout(checks, world_size);
  validate_schedule(checks);
  validate_zero_and_offload(checks);
  validate_rest(checks);
}

}  // namespace strata::config
