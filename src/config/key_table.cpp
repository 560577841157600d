// Every deck key, bound to its Config field. The order here is the order of
// the resolved deck and of docs/config.md.
#include "config/impl/key_table.hpp"

#include <climits>
#include <stdexcept>
#include <type_traits>

#include "config/byte_size.hpp"
#include "config/impl/value_text.hpp"

namespace strata::config::impl {
namespace {

template <class T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "boolean";
  else if constexpr (std::is_same_v<T, double>)
    return "number";
  else if constexpr (std::is_same_v<T, std::string>)
    return "text";
  else if constexpr (std::is_enum_v<T>) {
    std::string list;
    for (const auto& name : enum_names<T>()) list += (list.empty() ? "" : "|") + name;
    return list;
  } else if constexpr (std::is_same_v<T, std::uint64_t>)
    return "non-negative integer";
  else
    return "integer";
}

template <class T>
T parse_as(const std::string& text, const KeyOrigin& origin) {
  if constexpr (std::is_same_v<T, bool>)
    return parse_bool(text, origin);
  else if constexpr (std::is_same_v<T, double>)
    return parse_real(text, origin);
  else if constexpr (std::is_same_v<T, std::string>)
    return parse_text(text);
  else if constexpr (std::is_enum_v<T>)
    return parse_enum<T>(text, origin);
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return parse_unsigned(text, origin);
  else if constexpr (std::is_same_v<T, int>)
    return static_cast<int>(parse_integer(text, INT_MIN, INT_MAX, origin));
  else
    return parse_integer(text, INT64_MIN, INT64_MAX, origin);
}

template <class T>
std::string format_as(const T& value) {
  if constexpr (std::is_same_v<T, bool>)
    return format_bool(value);
  else if constexpr (std::is_same_v<T, double>)
    return format_real(value);
  else if constexpr (std::is_same_v<T, std::string>)
    return value;
  else if constexpr (std::is_enum_v<T>)
    return enum_name(value);
  else
    return std::to_string(value);
}

template <class Section, class T>
KeySpec bind(const char* section, const char* name, Section Config::*part, T Section::*field) {
  return KeySpec{section, name, type_name<T>(),
                 [part, field](Config& c, const std::string& text, const KeyOrigin& origin) {
                   (c.*part).*field = parse_as<T>(text, origin);
                 },
                 [part, field](const Config& c) { return format_as((c.*part).*field); }};
}

KeySpec bind_bytes(const char* section, const char* name) {
  return KeySpec{section, name, "byte size",
                 [](Config& c, const std::string& text, const KeyOrigin& origin) {
                   c.memory.device_memory_limit = parse_byte_size(text, origin);
                 },
                 [](const Config& c) { return std::to_string(c.memory.device_memory_limit); }};
}

std::vector<KeySpec> build_table() {
  using C = Config;
  std::vector<KeySpec> t;
  auto model = [&](const char* n, auto field) { t.push_back(bind("model", n, &C::model, field)); };
  model("n_layer", &ModelSection::n_layer);
  model("n_head", &ModelSection::n_head);
  model("n_embd", &ModelSection::n_embd);
  model("block_size", &ModelSection::block_size);
  model("vocab_size", &ModelSection::vocab_size);
  model("bias", &ModelSection::bias);
  model("dropout", &ModelSection::dropout);
  auto data = [&](const char* n, auto field) { t.push_back(bind("data", n, &C::data, field)); };
  data("path", &DataSection::path);
  data("val_fraction", &DataSection::val_fraction);
  data("tokenizer", &DataSection::tokenizer);
  auto train = [&](const char* n, auto field) { t.push_back(bind("train", n, &C::train, field)); };
  train("steps", &TrainSection::steps);
  train("micro_batch", &TrainSection::micro_batch);
  train("grad_accum", &TrainSection::grad_accum);
  train("global_batch", &TrainSection::global_batch);
  train("lr", &TrainSection::lr);
  train("min_lr", &TrainSection::min_lr);
  train("lr_schedule", &TrainSection::lr_schedule);
  train("warmup_steps", &TrainSection::warmup_steps);
  train("warmup_type", &TrainSection::warmup_type);
  train("warmup_start_lr", &TrainSection::warmup_start_lr);
  train("decay_steps", &TrainSection::decay_steps);
  train("optimizer", &TrainSection::optimizer);
  train("weight_decay", &TrainSection::weight_decay);
  train("beta1", &TrainSection::beta1);
  train("beta2", &TrainSection::beta2);
  train("eps", &TrainSection::eps);
  train("grad_clip", &TrainSection::grad_clip);
  train("seed", &TrainSection::seed);
  train("eval_every", &TrainSection::eval_every);
  train("eval_steps", &TrainSection::eval_steps);
  train("deepspeed_config", &TrainSection::deepspeed_config);
  auto cycle = [&](const char* n, auto field) {
    t.push_back(bind("onecycle", n, &C::onecycle, field));
  };
  cycle("decay_lr_rate", &OneCycleSection::decay_lr_rate);
  cycle("cycle_first_step_size", &OneCycleSection::cycle_first_step_size);
  cycle("cycle_second_step_size", &OneCycleSection::cycle_second_step_size);
  cycle("cycle_first_stair_count", &OneCycleSection::cycle_first_stair_count);
  cycle("cycle_second_stair_count", &OneCycleSection::cycle_second_stair_count);
  cycle("decay_step_size", &OneCycleSection::decay_step_size);
  cycle("cycle_momentum", &OneCycleSection::cycle_momentum);
  cycle("cycle_min_mom", &OneCycleSection::cycle_min_mom);
  cycle("cycle_max_mom", &OneCycleSection::cycle_max_mom);
  cycle("decay_mom_rate", &OneCycleSection::decay_mom_rate);
  auto par = [&](const char* n, auto field) {
    t.push_back(bind("parallel", n, &C::parallel, field));
  };
  par("tp", &ParallelSection::tp);
  par("pp", &ParallelSection::pp);
  par("sp", &ParallelSection::sp);
  par("ep", &ParallelSection::ep);
  auto zero = [&](const char* n, auto field) { t.push_back(bind("zero", n, &C::zero, field)); };
  zero("stage", &ZeroSection::stage);
  zero("reduce_bucket_size", &ZeroSection::reduce_bucket_size);
  zero("allgather_bucket_size", &ZeroSection::allgather_bucket_size);
  zero("overlap_comm", &ZeroSection::overlap_comm);
  zero("contiguous_gradients", &ZeroSection::contiguous_gradients);
  zero("reduce_scatter", &ZeroSection::reduce_scatter);
  zero("allgather_partitions", &ZeroSection::allgather_partitions);
  zero("round_robin_gradients", &ZeroSection::round_robin_gradients);
  zero("prefetch_bucket_size", &ZeroSection::prefetch_bucket_size);
  zero("param_persistence_threshold", &ZeroSection::param_persistence_threshold);
  zero("max_live_parameters", &ZeroSection::max_live_parameters);
  zero("max_reuse_distance", &ZeroSection::max_reuse_distance);
  zero("sub_group_size", &ZeroSection::sub_group_size);
  zero("gather_16bit_weights_on_model_save", &ZeroSection::gather_16bit_weights_on_model_save);
  auto off = [&](const char* n, auto field) {
    t.push_back(bind("offload", n, &C::offload, field));
  };
  off("optimizer", &OffloadSection::optimizer);
  off("param", &OffloadSection::param);
  off("nvme_path", &OffloadSection::nvme_path);
  off("optimizer_pin_memory", &OffloadSection::optimizer_pin_memory);
  off("optimizer_buffer_count", &OffloadSection::optimizer_buffer_count);
  off("optimizer_pipeline_read", &OffloadSection::optimizer_pipeline_read);
  off("optimizer_pipeline_write", &OffloadSection::optimizer_pipeline_write);
  off("optimizer_fast_init", &OffloadSection::optimizer_fast_init);
  off("optimizer_ratio", &OffloadSection::optimizer_ratio);
  off("param_pin_memory", &OffloadSection::param_pin_memory);
  off("param_buffer_count", &OffloadSection::param_buffer_count);
  off("param_buffer_size", &OffloadSection::param_buffer_size);
  off("param_max_in_cpu", &OffloadSection::param_max_in_cpu);
  auto aio = [&](const char* n, auto field) { t.push_back(bind("aio", n, &C::aio, field)); };
  aio("block_size", &AioSection::block_size);
  aio("queue_depth", &AioSection::queue_depth);
  aio("thread_count", &AioSection::thread_count);
  aio("single_submit", &AioSection::single_submit);
  aio("overlap_events", &AioSection::overlap_events);
  auto prec = [&](const char* n, auto field) {
    t.push_back(bind("precision", n, &C::precision, field));
  };
  prec("dtype", &PrecisionSection::dtype);
  prec("loss_scale", &PrecisionSection::loss_scale);
  prec("initial_scale_power", &PrecisionSection::initial_scale_power);
  prec("loss_scale_window", &PrecisionSection::loss_scale_window);
  prec("hysteresis", &PrecisionSection::hysteresis);
  prec("consecutive_hysteresis", &PrecisionSection::consecutive_hysteresis);
  prec("min_loss_scale", &PrecisionSection::min_loss_scale);
  auto ac = [&](const char* n, auto field) {
    t.push_back(bind("activation_checkpointing", n, &C::activation_checkpointing, field));
  };
  using AC = ActivationCheckpointingSection;
  ac("enabled", &AC::enabled);
  ac("num_blocks", &AC::num_blocks);
  ac("partition_activations", &AC::partition_activations);
  ac("cpu_checkpointing", &AC::cpu_checkpointing);
  ac("contiguous_memory_optimization", &AC::contiguous_memory_optimization);
  ac("synchronize_checkpoint_boundary", &AC::synchronize_checkpoint_boundary);
  ac("profile", &AC::profile);
  t.push_back(bind_bytes("memory", "device_memory_limit"));
  t.push_back(bind("comm", "timeout_s", &C::comm, &CommSection::timeout_s));
  t.push_back(bind("checkpoint", "dir", &C::checkpoint, &CheckpointSection::dir));
  t.push_back(bind("checkpoint", "every", &C::checkpoint, &CheckpointSection::every));
  t.push_back(bind("checkpoint", "resume", &C::checkpoint, &CheckpointSection::resume));
  t.push_back(bind("output", "dir", &C::output, &OutputSection::dir));
  auto lg = [&](const char* n, auto field) { t.push_back(bind("log", n, &C::log, field)); };
  lg("level", &LogSection::level);
  lg("all_ranks", &LogSection::all_ranks);
  lg("every", &LogSection::every);
  lg("wall_clock_breakdown", &LogSection::wall_clock_breakdown);
  return t;
}

}  // namespace

const std::vector<KeySpec>& deck_keys() {
  static const std::vector<KeySpec> table = build_table();
  return table;
}

const KeySpec* find_key(const std::string& dotted_key) {
  for (const auto& spec : deck_keys())
    if (spec.key() == dotted_key) return &spec;
  return nullptr;
}

const KeySpec& key_spec(const std::string& dotted_key) {
  const KeySpec* spec = find_key(dotted_key);
  if (!spec) throw std::logic_error("no deck key " + dotted_key);
  return *spec;
}

std::vector<std::string> all_dotted_keys() {
  std::vector<std::string> keys;
  for (const auto& spec : deck_keys()) keys.push_back(spec.key());
  return keys;
}

std::string deck_subject(const std::string& dotted_key) {
  const auto dot = dotted_key.find('.');
  if (dot == std::string::npos) return dotted_key;
  return "[" + dotted_key.substr(0, dot) + "] " + dotted_key.substr(dot + 1);
}

}  // namespace strata::config::impl

namespace strata::config {

bool same_values(const Config& a, const Config& b) {
  for (const auto& spec : impl::deck_keys())
    if (spec.get(a) != spec.get(b)) return false;
  return a.deepspeed_unused == b.deepspeed_unused;
}

}  // namespace strata::config
