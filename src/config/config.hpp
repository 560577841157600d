// The one typed configuration of a Strata run: every deck key, grouped by
// section, with its default. Readers fill it; validate() resolves what derives.
// docs/config.md is the reference for every key (a test keeps the two in step).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/log.hpp"

namespace strata::config {

enum class Tokenizer { gpt2, character };  // deck names: gpt2, char
enum class LrSchedule { constant, linear, cosine, onecycle };
enum class WarmupType { linear, log };
enum class Optimizer { adamw, adam };  // adam: L2-coupled decay
enum class OffloadDevice { none, cpu, nvme };
enum class DType { fp32, bf16, fp16 };

struct ModelSection {
  int n_layer = 12;
  int n_head = 12;
  int n_embd = 768;
  int block_size = 1024;
  int vocab_size = 50304;  // GPT-2's 50257 padded to a multiple of 64
  bool bias = true;
  double dropout = 0.0;
};

struct DataSection {
  std::string path;  // HDF5 tokens written by strata-prep
  double val_fraction = 0.1;
  Tokenizer tokenizer = Tokenizer::gpt2;
};

struct TrainSection {
  int steps = 1000;
  int micro_batch = 1;
  int grad_accum = 1;
  std::int64_t global_batch = 0;  // 0: derived as micro_batch * grad_accum * dp
  double lr = 6e-4;               // peak learning rate
  double min_lr = 6e-5;           // floor of the linear/cosine decay
  LrSchedule lr_schedule = LrSchedule::cosine;
  int warmup_steps = 100;
  WarmupType warmup_type = WarmupType::linear;
  double warmup_start_lr = 0.0;
  int decay_steps = 0;  // 0: decay over all steps
  Optimizer optimizer = Optimizer::adamw;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;  // GPT-3/nanoGPT; DeepSpeed's 0.999 applies through a ds_config
  double eps = 1e-8;
  double grad_clip = 1.0;  // 0: no clipping
  std::uint64_t seed = 1337;
  int eval_every = 100;  // 0: never
  int eval_steps = 20;
  std::string deepspeed_config;  // ds_config.json merged after deck and command line
};

// DeepSpeed's OneCycle parameters, used when lr_schedule = onecycle; [train] lr
// and min_lr are the cycle's top and bottom.
struct OneCycleSection {
  double decay_lr_rate = 0.0;
  int cycle_first_step_size = 2000;
  int cycle_second_step_size = 0;  // 0: same as the first
  int cycle_first_stair_count = 0;
  int cycle_second_stair_count = 0;  // 0: same as the first
  int decay_step_size = 0;
  bool cycle_momentum = true;
  double cycle_min_mom = 0.8;
  double cycle_max_mom = 0.9;
  double decay_mom_rate = 0.0;
};

struct ParallelSection {
  int tp = 1;
  int pp = 1;
  int sp = 1;
  int ep = 1;
  int dp = 0;  // not a key: validate() sets world / (tp * pp * sp)
};

struct ZeroSection {
  int stage = 0;
  std::int64_t reduce_bucket_size = 500000000;  // elements
  std::int64_t allgather_bucket_size = 500000000;
  bool overlap_comm = false;  // unless set, validate() turns it on at stage 3 (as DeepSpeed)
  bool contiguous_gradients = true;
  bool reduce_scatter = true;
  bool allgather_partitions = true;
  bool round_robin_gradients = false;
  std::int64_t prefetch_bucket_size = 50000000;
  std::int64_t param_persistence_threshold = 100000;
  std::int64_t max_live_parameters = 1000000000;
  std::int64_t max_reuse_distance = 1000000000;
  std::int64_t sub_group_size = 1000000000;
  bool gather_16bit_weights_on_model_save = false;
};

struct OffloadSection {
  OffloadDevice optimizer = OffloadDevice::none;
  OffloadDevice param = OffloadDevice::none;
  std::string nvme_path;  // required when either device is nvme
  bool optimizer_pin_memory = false;
  int optimizer_buffer_count = 4;
  bool optimizer_pipeline_read = false;
  bool optimizer_pipeline_write = false;
  bool optimizer_fast_init = false;
  double optimizer_ratio = 1.0;
  bool param_pin_memory = false;
  int param_buffer_count = 5;
  std::int64_t param_buffer_size = 100000000;  // elements
  std::int64_t param_max_in_cpu = 1000000000;  // elements
};

struct AioSection {
  std::int64_t block_size = 1048576;
  int queue_depth = 8;
  int thread_count = 1;
  bool single_submit = false;
  bool overlap_events = true;
};

struct PrecisionSection {
  DType dtype = DType::fp32;
  double loss_scale = 0.0;  // 0: dynamic
  int initial_scale_power = 16;
  int loss_scale_window = 1000;
  int hysteresis = 2;
  bool consecutive_hysteresis = false;
  double min_loss_scale = 1.0;
};

struct ActivationCheckpointingSection {
  bool enabled = false;
  int num_blocks = 0;  // blocks checkpointed from h.0; 0: every block
  // DeepSpeed's options: the first two are refused when true (not built),
  // the others have nothing to act on here (docs/activation_checkpointing.md).
  bool partition_activations = false;
  bool cpu_checkpointing = false;
  bool contiguous_memory_optimization = false;
  bool synchronize_checkpoint_boundary = false;
  bool profile = false;
};

struct MemorySection {
  std::uint64_t device_memory_limit = 0;  // bytes; 0: unlimited
};

struct CommSection {
  int timeout_s = 600;
};

struct CheckpointSection {
  std::string dir;     // empty: <output.dir>/checkpoints, set by validate()
  int every = 0;       // 0: no periodic checkpoints
  std::string resume;  // a checkpoint file, "latest", or empty
};

struct OutputSection {
  std::string dir = "out";
};

struct LogSection {
  log::Level level = log::Level::info;
  bool all_ranks = false;
  int every = 10;  // steps between progress lines (DeepSpeed steps_per_print)
  bool wall_clock_breakdown = false;
};

// Where a key's value came from, for error messages and for telling a value
// the user chose from a default (contradictions, batch-size derivation).
struct KeyOrigin {
  std::string subject;  // the key as written: "[train] lr", "ds.json: optimizer.params.lr"
  std::string where;    // "run.ini:12", "command line", "ds.json"
};

struct Config {
  ModelSection model;
  DataSection data;
  TrainSection train;
  OneCycleSection onecycle;
  ParallelSection parallel;
  ZeroSection zero;
  OffloadSection offload;
  AioSection aio;
  PrecisionSection precision;
  ActivationCheckpointingSection activation_checkpointing;
  MemorySection memory;
  CommSection comm;
  CheckpointSection checkpoint;
  OutputSection output;
  LogSection log;

  // Keys set by a deck, the command line or a ds_config, by "section.key".
  // Keys absent here hold their default.
  std::map<std::string, KeyOrigin> origins;
  // DeepSpeed keys accepted but not acted on yet, by JSON path, as JSON text.
  std::map<std::string, std::string> deepspeed_unused;

  bool is_set(const std::string& key) const { return origins.count(key) != 0; }
};

// True when every key holds the same value (origins and derived dp aside).
bool same_values(const Config& a, const Config& b);

// The name a deck uses for an enum value ("cosine", "nvme", "char", ...).
std::string to_string(Tokenizer value);
std::string to_string(LrSchedule value);
std::string to_string(WarmupType value);
std::string to_string(Optimizer value);
std::string to_string(OffloadDevice value);
std::string to_string(DType value);

}  // namespace strata::config
