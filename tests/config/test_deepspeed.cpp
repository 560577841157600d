// DeepSpeed ds_config.json: names, defaults, "auto", the batch rule, schedulers,
// contradictions with the deck, and refusal of keys DeepSpeed does not define.
#include "config/load.hpp"
#include "config/validate.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

class DeepSpeedConfig : public testing::TempDirTest {
 protected:
  // Deck (may be empty) + ds_config, loaded and validated on world ranks.
  Config load(const std::string& deck_text, const std::string& json, int world = 0,
              std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--deepspeed", write("ds.json", json)};
    if (!deck_text.empty()) args.push_back(write("run.ini", deck_text));
    args.insert(args.end(), extra.begin(), extra.end());
    Config config = load_config(parse_command_line(args));
    if (world > 0) validate(config, world);
    return config;
  }
  std::string ds() const { return path("ds.json"); }
};

TEST_F(DeepSpeedConfig, FixtureMapsOntoDeckKeys) {
  const std::string deck = write("run.ini",
                                 "[train]\nsteps = 500\nlr = 2e-4\ngrad_accum = 2\n"
                                 "deepspeed_config = " STRATA_CONFIG_FIXTURES "/ds_config.json\n");
  Config config = load_config(parse_command_line({deck}));
  validate(config, 4);
  EXPECT_EQ(config.train.micro_batch, 4);
  EXPECT_EQ(config.train.grad_accum, 2);     // "auto": the deck's
  EXPECT_EQ(config.train.global_batch, 32);  // "auto": 4 * 2 * dp 4
  EXPECT_DOUBLE_EQ(config.train.lr, 2e-4);   // "auto": the deck's
  EXPECT_DOUBLE_EQ(config.train.beta2, 0.95);
  EXPECT_EQ(config.train.lr_schedule, LrSchedule::cosine);
  EXPECT_EQ(config.train.warmup_type, WarmupType::linear);
  EXPECT_EQ(config.train.decay_steps, 500);  // "auto": all steps
  EXPECT_DOUBLE_EQ(config.train.min_lr, 0.1 * 2e-4);
  EXPECT_EQ(config.log.every, 50);
  EXPECT_EQ(config.precision.dtype, DType::bf16);
  EXPECT_EQ(config.zero.stage, 3);
  EXPECT_TRUE(config.zero.overlap_comm);  // DeepSpeed's stage-3 default
  EXPECT_EQ(config.zero.reduce_bucket_size, 50000000);
  EXPECT_EQ(config.zero.prefetch_bucket_size, 20000000);
  EXPECT_EQ(config.zero.param_persistence_threshold, 10000);
  EXPECT_EQ(config.zero.max_live_parameters, 100000000);
  EXPECT_TRUE(config.zero.gather_16bit_weights_on_model_save);
  EXPECT_EQ(config.offload.optimizer, OffloadDevice::cpu);
  EXPECT_TRUE(config.offload.optimizer_pin_memory);
  EXPECT_EQ(config.offload.nvme_path, "/local_nvme");    // DeepSpeed's default
  EXPECT_TRUE(config.activation_checkpointing.enabled);  // the section's presence
  EXPECT_TRUE(config.activation_checkpointing.contiguous_memory_optimization);
  EXPECT_EQ(config.activation_checkpointing.num_blocks, 4);
  EXPECT_EQ(config.aio.block_size, 262144);
  EXPECT_EQ(config.aio.queue_depth, 16);
  EXPECT_EQ(config.aio.thread_count, 1);
  EXPECT_EQ(config.deepspeed_unused.at("flops_profiler"), R"({"enabled":false,"profile_step":1})");
  EXPECT_EQ(config.deepspeed_unused.at("zero_optimization.zero_hpz_partition_size"), "1");
}

TEST_F(DeepSpeedConfig, BatchRuleAnyTwoDetermineTheThird) {
  Config a = load("", R"({"train_batch_size": 64, "train_micro_batch_size_per_gpu": 4})", 4);
  EXPECT_EQ(a.train.grad_accum, 4);
  Config b = load("", R"({"train_batch_size": 64, "gradient_accumulation_steps": 2})", 4);
  EXPECT_EQ(b.train.micro_batch, 8);
  Config c =
      load("", R"({"train_micro_batch_size_per_gpu": 3, "gradient_accumulation_steps": 5})", 2);
  EXPECT_EQ(c.train.global_batch, 30);
  Config d =
      load("", R"({"train_batch_size": 32})", 4);  // DeepSpeed: micro = 32 / dp, no accumulation
  EXPECT_EQ(d.train.micro_batch, 8);
  EXPECT_EQ(d.train.grad_accum, 1);
  Config e = load("", R"({"train_batch_size": 32, "train_micro_batch_size_per_gpu": 4,
                           "gradient_accumulation_steps": 2})",
                  4);
  EXPECT_EQ(e.train.global_batch, 32);
}

TEST_F(DeepSpeedConfig, BatchRuleViolationShowsAllNumbersAndFix) {
  const std::string message = error_of([&] {
    load(
        "",
        R"({"train_batch_size": 48, "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 2})",
        4);
  });
  EXPECT_THAT(
      message,
      AllOf(
          HasSubstr(ds() +
                    ": train_batch_size: = 48, but micro_batch * grad_accum * dp = 4 * 2 * 4 = 32"),
          HasSubstr(ds() + ": train_micro_batch_size_per_gpu"),
          HasSubstr("dp = 4 = world 4 / (tp 1 * pp 1 * sp 1)"),
          HasSubstr("fix: set train_batch_size in " + ds() + " to 32"),
          HasSubstr("set gradient_accumulation_steps in " + ds() + " to 3")));
  EXPECT_THAT(error_of([&] {
                load("", R"({"train_batch_size": 30, "train_micro_batch_size_per_gpu": 4})", 2);
              }),
              AllOf(HasSubstr("= 30 is not divisible by micro_batch * dp = 4 * 2 = 8"),
                    HasSubstr("fix: set train_batch_size in " + ds() + " to a multiple of 8")));
}

TEST_F(DeepSpeedConfig, AutoKeepsTheDecksValue) {
  Config config =
      load("[train]\nmicro_batch = 6\n[zero]\nstage = 2\n",
           R"({"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": "auto"},
                           "optimizer": {"type": "AdamW", "params": {"lr": "auto", "weight_decay": "auto"}}})",
           1);
  EXPECT_EQ(config.train.micro_batch, 6);
  EXPECT_EQ(config.zero.stage, 2);
  EXPECT_DOUBLE_EQ(config.train.lr, 6e-4);  // Strata's default, as the deck has it
  EXPECT_DOUBLE_EQ(config.train.weight_decay, 0.1);
}

TEST_F(DeepSpeedConfig, OmittedKeysTakeDeepSpeedDefaults) {
  Config config = load("", R"({"train_batch_size": 8, "optimizer": {"type": "Adam", "params": {}},
                               "zero_optimization": {"stage": 1}})",
                       1);
  EXPECT_DOUBLE_EQ(config.train.grad_clip, 0.0);  // DeepSpeed: no clipping unless asked
  EXPECT_DOUBLE_EQ(config.train.lr, 1e-3);
  EXPECT_DOUBLE_EQ(config.train.beta2, 0.999);
  EXPECT_DOUBLE_EQ(config.train.weight_decay, 0.0);
  EXPECT_EQ(config.train.optimizer, Optimizer::adamw);  // DeepSpeed's Adam decouples by default
  EXPECT_FALSE(config.zero.overlap_comm);
  Config no_optimizer = load("", R"({"train_batch_size": 8})", 1);
  EXPECT_DOUBLE_EQ(no_optimizer.train.beta2, 0.95);  // no optimizer block: the deck's
}

TEST_F(DeepSpeedConfig, AdamWithoutDecoupledDecay) {
  Config config = load("", R"({"optimizer": {"type": "adam", "params": {"adam_w_mode": false}}})");
  EXPECT_EQ(config.train.optimizer, Optimizer::adam);
}

TEST_F(DeepSpeedConfig, ContradictionWithDeckNamesBothSources) {
  const std::string message = error_of(
      [&] { load("[train]\nmicro_batch = 4\n", R"({"train_micro_batch_size_per_gpu": 8})"); });
  EXPECT_THAT(
      message,
      AllOf(HasSubstr(ds() + ": train_micro_batch_size_per_gpu: gives [train] micro_batch = 8"),
            HasSubstr(path("run.ini") + ":2 sets [train] micro_batch = 4"),
            HasSubstr("fix: set it in one place")));
  // Equal values are no contradiction; a command-line override wins silently.
  EXPECT_EQ(load("[zero]\nstage = 2\n", R"({"zero_optimization": {"stage": 2}})").zero.stage, 2);
  EXPECT_EQ(load("", R"({"zero_optimization": {"stage": 2}})", 0, {"--zero.stage=1"}).zero.stage,
            1);
}

TEST_F(DeepSpeedConfig, Fp16AndBf16TogetherIsAnError) {
  EXPECT_THAT(
      error_of([&] { load("", R"({"fp16": {"enabled": true}, "bfloat16": {"enabled": true}})"); }),
      AllOf(HasSubstr("fp16.enabled and bf16.enabled: both are true"),
            HasSubstr("fix: enable one")));
  Config fp16 =
      load("", R"({"fp16": {"enabled": true, "initial_scale_power": 12, "hysteresis": 4}})");
  EXPECT_EQ(fp16.precision.dtype, DType::fp16);
  EXPECT_EQ(fp16.precision.initial_scale_power, 12);
  EXPECT_EQ(fp16.precision.hysteresis, 4);
  EXPECT_EQ(fp16.precision.loss_scale_window, 1000);
}

TEST_F(DeepSpeedConfig, UnknownKeyNamesPathAndNearestKey) {
  EXPECT_THAT(error_of([&] { load("", R"({"zero_optimization": {"stag": 2}})"); }),
              AllOf(HasSubstr(ds() + ": zero_optimization.stag: is not a DeepSpeed config key"),
                    HasSubstr("did you mean zero_optimization.stage?")));
  EXPECT_THAT(error_of([&] { load("", R"({"stage3_prefetch_bucket_size": 5})"); }),
              HasSubstr("did you mean zero_optimization.stage3_prefetch_bucket_size?"));
  EXPECT_THAT(error_of([&] { load("", R"({"zero_optimisation": {}})"); }),
              HasSubstr("did you mean zero_optimization?"));
  EXPECT_THAT(
      error_of([&] {
        load("", R"({"scheduler": {"type": "WarmupLR", "params": {"total_num_steps": 5}}})");
      }),
      AllOf(
          HasSubstr("scheduler.params.total_num_steps: is not a parameter of DeepSpeed's WarmupLR"),
          HasSubstr("WarmupLR takes: warmup_min_lr")));
}

TEST_F(DeepSpeedConfig, InvalidJsonNamesFileLineAndColumn) {
  EXPECT_THAT(error_of([&] { load("", "{\n  \"train_batch_size\": 8,\n}\n"); }),
              AllOf(HasSubstr(ds() + ": is not valid JSON: parse error at line 3, column 1"),
                    HasSubstr("fix: correct the JSON")));
  EXPECT_THAT(error_of([&] { load("", R"({"fp16": {"enabled": true, "enabled": false}})"); }),
              AllOf(HasSubstr(ds() + ": enabled: appears twice"), HasSubstr("fix: keep one")));
  EXPECT_THAT(error_of([&] { load("", "[1, 2]"); }), HasSubstr("must hold a JSON object"));
}

TEST_F(DeepSpeedConfig, WrongTypesAndUnsupportedFeatures) {
  EXPECT_THAT(error_of([&] { load("", R"({"zero_optimization": {"stage": "two"}})"); }),
              HasSubstr(ds() + ": zero_optimization.stage: expected an integer, got 'two'"));
  EXPECT_THAT(error_of([&] { load("", R"({"zero_optimization": {"stage": 2.5}})"); }),
              HasSubstr("zero_optimization.stage: expected an integer, got '2.5'"));
  EXPECT_THAT(error_of([&] { load("", R"({"zero_optimization": 3})"); }),
              HasSubstr("zero_optimization: expected a JSON object"));
  EXPECT_THAT(error_of([&] { load("", R"({"optimizer": {"type": "Lamb"}})"); }),
              AllOf(HasSubstr("optimizer.type: is \"Lamb\""), HasSubstr("fix: use \"AdamW\"")));
  EXPECT_THAT(error_of([&] {
                load("", R"({"optimizer": {"type": "AdamW", "params": {"betas": [0.9]}}})");
              }),
              HasSubstr("optimizer.params.betas: expected two numbers"));
  EXPECT_THAT(error_of([&] { load("", R"({"scheduler": {"type": "WarmupLr"}})"); }),
              HasSubstr("did you mean WarmupLR?"));
  EXPECT_THAT(error_of([&] { load("", R"({"amp": {"enabled": true}})"); }),
              HasSubstr("amp.enabled: is a DeepSpeed feature Strata does not implement"));
  EXPECT_THAT(error_of([&] {
                load("", R"({"zero_optimization": {"prefetch_bucket_size": 1,
                                                                  "stage3_prefetch_bucket_size": 2}})");
              }),
              HasSubstr("keep only one of"));
}

TEST_F(DeepSpeedConfig, MissingFileNamesIt) {
  EXPECT_THAT(error_of([&] {
                load_config(parse_command_line({"--deepspeed", path("absent.json")}));
              }),
              AllOf(HasSubstr(path("absent.json") + ": the ds_config file does not exist"),
                    HasSubstr("fix:")));
}

TEST_F(DeepSpeedConfig, Schedulers) {
  Config decay = load("[train]\nsteps = 100\n", R"({"scheduler": {"type": "WarmupDecayLR",
      "params": {"warmup_min_lr": 1e-5, "warmup_max_lr": 3e-4, "warmup_num_steps": 10, "total_num_steps": 80}}})",
                      1);
  EXPECT_EQ(decay.train.lr_schedule, LrSchedule::linear);
  EXPECT_DOUBLE_EQ(decay.train.lr, 3e-4);
  EXPECT_DOUBLE_EQ(decay.train.min_lr, 1e-5);
  EXPECT_DOUBLE_EQ(decay.train.warmup_start_lr, 1e-5);
  EXPECT_EQ(decay.train.warmup_type, WarmupType::log);  // DeepSpeed's default
  EXPECT_EQ(decay.train.decay_steps, 80);
  Config warmup = load("", R"({"optimizer": {"type": "AdamW", "params": {"lr": 0.5}},
                               "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 5}}})",
                       1);
  EXPECT_EQ(warmup.train.lr_schedule, LrSchedule::constant);
  EXPECT_DOUBLE_EQ(warmup.train.lr, 0.001);  // WarmupLR sets the lr itself: warmup_max_lr's default
  Config cycle = load("", R"({"scheduler": {"type": "OneCycle", "params": {"cycle_min_lr": 1e-4,
                             "cycle_max_lr": 1e-3, "cycle_first_step_size": 50}}})",
                      1);
  EXPECT_EQ(cycle.train.lr_schedule, LrSchedule::onecycle);
  EXPECT_EQ(cycle.train.warmup_steps, 0);
  EXPECT_EQ(cycle.onecycle.cycle_second_step_size, 50);  // validate: 0 means "as the first"
  EXPECT_DOUBLE_EQ(cycle.onecycle.cycle_min_mom, 0.8);
  EXPECT_THAT(error_of([&] { load("", R"({"scheduler": {"type": "LRRangeTest"}})"); }),
              HasSubstr("LRRangeTest"));
  EXPECT_THAT(error_of([&] {
                load("[train]\nwarmup_steps = 10\n", R"({"scheduler": {"type": "OneCycle"}})");
              }),
              HasSubstr("gives [train] warmup_steps = 0, but"));
}

TEST_F(DeepSpeedConfig, OffloadRulesAndNvmePath) {
  Config config = load("", R"({"zero_optimization": {"stage": 3, "offload_param": {"device": "nvme",
                               "nvme_path": "/nvme/a"}, "offload_optimizer": {"device": "nvme"}}})",
                       1);
  EXPECT_EQ(config.offload.param, OffloadDevice::nvme);
  EXPECT_EQ(config.offload.nvme_path, "/nvme/a");
  EXPECT_THAT(error_of([&] {
                load("", R"({"zero_optimization": {"offload_param": {"nvme_path": "/a"},
                                          "offload_optimizer": {"nvme_path": "/b"}}})");
              }),
              HasSubstr("in the same file gives"));
  EXPECT_THAT(
      error_of([&] {
        load("", R"({"zero_optimization": {"stage": 2, "offload_param": {"device": "cpu"}}})", 1);
      }),
      AllOf(HasSubstr("zero_optimization.offload_param.device: is cpu but [zero] stage is 2"),
            HasSubstr("fix: set [zero] stage = 3")));
  Config legacy = load("", R"({"zero_optimization": {"stage": 2, "cpu_offload": true}})", 1);
  EXPECT_EQ(legacy.offload.optimizer, OffloadDevice::cpu);
}

}  // namespace
}  // namespace strata::config
