// validate(): derived values, and one test per rejected contradiction, each
// checking that the message names the key and carries the fix.
#include "config/load.hpp"
#include "config/validate.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

// A Config built from overrides, as if from the command line.
Config with(const std::vector<std::string>& overrides) {
  return load_config(parse_command_line(overrides));
}

std::string validation_error(const std::vector<std::string>& overrides, int world = 1) {
  Config config = with(overrides);
  return error_of([&] { validate(config, world); });
}

TEST(Validate, DefaultsResolveDerivedValues) {
  Config config;
  validate(config, 8);
  EXPECT_EQ(config.parallel.dp, 8);
  EXPECT_EQ(config.train.global_batch, 8);  // 1 * 1 * 8
  EXPECT_EQ(config.train.decay_steps, config.train.steps);
  EXPECT_EQ(config.checkpoint.dir, "out/checkpoints");
  EXPECT_FALSE(config.zero.overlap_comm);
  Config stage3 = with({"--zero.stage=3"});
  validate(stage3, 1);
  EXPECT_TRUE(stage3.zero.overlap_comm);
  Config explicit_off = with({"--zero.stage=3", "--zero.overlap_comm=false"});
  validate(explicit_off, 1);
  EXPECT_FALSE(explicit_off.zero.overlap_comm);
}

TEST(Validate, LayoutAndBatchFromTheDeck) {
  Config config = with({"--parallel.tp=2", "--parallel.sp=2", "--parallel.ep=2",
                        "--train.global_batch=64", "--train.micro_batch=4"});
  validate(config, 16);
  EXPECT_EQ(config.parallel.dp, 4);
  EXPECT_EQ(config.train.grad_accum, 4);
  Config accum_only = with({"--train.global_batch=64", "--train.grad_accum=2"});
  validate(accum_only, 4);
  EXPECT_EQ(accum_only.train.micro_batch, 8);
}

class NonPositive : public ::testing::TestWithParam<const char*> {};

TEST_P(NonPositive, IsRejectedWithTheKeyAndFix) {
  const std::string key = GetParam();
  const std::string deck_subject =
      "[" + key.substr(0, key.find('.')) + "] " + key.substr(key.find('.') + 1);
  EXPECT_THAT(validation_error({"--" + key + "=0"}),
              AllOf(HasSubstr("--" + key + ": must be at least 1, got 0 (command line)"),
                    HasSubstr("fix: set " + deck_subject + " to 1 or more")));
}

INSTANTIATE_TEST_SUITE_P(Sizes, NonPositive,
                         ::testing::Values("model.n_layer", "model.n_head", "model.block_size",
                                           "model.vocab_size", "train.micro_batch",
                                           "train.grad_accum", "train.steps", "parallel.tp",
                                           "parallel.pp", "parallel.sp", "parallel.ep",
                                           "zero.reduce_bucket_size", "comm.timeout_s",
                                           "precision.loss_scale_window", "aio.queue_depth"));

TEST(Validate, EmbeddingNotDivisibleByHeads) {
  EXPECT_THAT(validation_error({"--model.n_embd=100", "--model.n_head=12"}),
              AllOf(HasSubstr("n_embd: 100 is not divisible by [model] n_head = 12"),
                    HasSubstr("fix: make n_embd a multiple of n_head, e.g. 96 or 108")));
  EXPECT_THAT(validation_error({"--model.n_embd=0"}),
              HasSubstr("--model.n_embd: must be at least 1"));
}

TEST(Validate, WorldNotDivisibleShowsAllNumbers) {
  EXPECT_THAT(validation_error({"--parallel.tp=2", "--parallel.pp=3"}, 8),
              AllOf(HasSubstr("tp * pp * sp = 2 * 3 * 1 = 6 does not divide the world size 8"),
                    HasSubstr("fix: launch a multiple of 6 ranks, or choose tp, pp, sp whose "
                              "product divides 8: 1, 2, 4, 8")));
}

TEST(Validate, ExpertParallelMustDivideDataParallel) {
  EXPECT_THAT(validation_error({"--parallel.tp=2", "--parallel.ep=3"}, 8),
              AllOf(HasSubstr("--parallel.ep: = 3 does not divide dp = 4"),
                    HasSubstr("dp = 4 = world 8 / (tp 2 * pp 1 * sp 1)"),
                    HasSubstr("fix: set [parallel] ep to a divisor of 4: 1, 2, 4")));
}

TEST(Validate, ModelParallelSplitsMustFitTheModel) {
  EXPECT_THAT(validation_error({"--parallel.tp=5"}, 5),
              HasSubstr("--parallel.tp: = 5 does not divide [model] n_head = 12"));
  EXPECT_THAT(validation_error({"--parallel.sp=5"}, 5),
              HasSubstr("--parallel.sp: = 5 does not divide [model] n_head"));
  EXPECT_THAT(validation_error({"--parallel.sp=4", "--model.block_size=1022"}, 4),
              HasSubstr("--parallel.sp: = 4 does not divide [model] block_size = 1022"));
  EXPECT_THAT(validation_error({"--parallel.pp=16"}, 16),
              AllOf(HasSubstr("--parallel.pp: = 16 is more than [model] n_layer = 12"),
                    HasSubstr("fix: set [parallel] pp to at most 12")));
}

TEST(Validate, BatchTripleMustAgree) {
  EXPECT_THAT(
      validation_error({"--train.global_batch=10", "--train.micro_batch=2", "--train.grad_accum=2"},
                       2),
      AllOf(HasSubstr(
                "--train.global_batch: = 10, but micro_batch * grad_accum * dp = 2 * 2 * 2 = 8"),
            HasSubstr("fix: set [train] global_batch to 8")));
  EXPECT_THAT(validation_error({"--train.global_batch=10"}, 4),
              AllOf(HasSubstr("= 10 is not divisible by dp = 4"),
                    HasSubstr("fix: set [train] global_batch to a multiple of 4 (e.g. 12)")));
}

TEST(Validate, ZeroStageRange) {
  EXPECT_THAT(validation_error({"--zero.stage=4"}),
              AllOf(HasSubstr("--zero.stage: must be from 0 to 3, got 4"),
                    HasSubstr("fix: set [zero] stage to a value from 0 to 3")));
  EXPECT_THAT(validation_error({"--zero.stage=-1"}),
              HasSubstr("--zero.stage: must be from 0 to 3, got -1"));
}

TEST(Validate, OffloadRules) {
  EXPECT_THAT(validation_error({"--zero.stage=2", "--offload.param=cpu"}),
              AllOf(HasSubstr("--offload.param: is cpu but [zero] stage is 2"),
                    HasSubstr("fix: set [zero] stage = 3")));
  EXPECT_THAT(validation_error({"--offload.optimizer=cpu"}),
              AllOf(HasSubstr("--offload.optimizer: is cpu but [zero] stage is 0"),
                    HasSubstr("fix: set [zero] stage to 1, 2 or 3")));
  EXPECT_THAT(
      validation_error({"--zero.stage=3", "--offload.param=nvme"}),
      AllOf(HasSubstr("[offload] nvme_path: is empty"), HasSubstr("fix: set [offload] nvme_path")));
}

TEST(Validate, RangesOfRatesAndFractions) {
  EXPECT_THAT(validation_error({"--data.val_fraction=1"}),
              AllOf(HasSubstr("--data.val_fraction: must be in [0, 1), got 1"),
                    HasSubstr("fix: set [data] val_fraction to a value in [0, 1)")));
  EXPECT_THAT(validation_error({"--data.val_fraction=-0.1"}),
              HasSubstr("must be in [0, 1), got -0.1"));
  EXPECT_THAT(validation_error({"--train.lr=-1e-4"}),
              AllOf(HasSubstr("--train.lr: cannot be negative, got -0.0001"),
                    HasSubstr("fix: set [train] lr to 0 or more")));
  EXPECT_THAT(validation_error({"--train.lr=1e-4", "--train.min_lr=2e-4"}),
              AllOf(HasSubstr("--train.min_lr: is 0.0002, above the peak [train] lr = 0.0001"),
                    HasSubstr("fix: set [train] min_lr to at most 0.0001")));
  EXPECT_THAT(validation_error({"--train.steps=50", "--train.warmup_steps=60"}),
              AllOf(HasSubstr("--train.warmup_steps: is 60, more than [train] steps = 50"),
                    HasSubstr("fix: set [train] warmup_steps to at most 50")));
  EXPECT_THAT(validation_error({"--train.beta1=1"}),
              HasSubstr("--train.beta1: must be in [0, 1), got 1"));
  EXPECT_THAT(validation_error({"--train.beta2=-0.5"}),
              HasSubstr("--train.beta2: must be in [0, 1)"));
  EXPECT_THAT(validation_error({"--train.eps=0"}), HasSubstr("--train.eps: must be positive"));
  EXPECT_THAT(validation_error({"--model.dropout=1"}),
              HasSubstr("--model.dropout: must be in [0, 1)"));
  EXPECT_THAT(validation_error({"--train.decay_steps=50", "--train.warmup_steps=100"}),
              HasSubstr("--train.decay_steps: is 50, shorter than the warmup"));
  EXPECT_THAT(validation_error({"--precision.min_loss_scale=0"}),
              HasSubstr("min_loss_scale: must be positive"));
}

TEST(Validate, OtherCrossKeyRules) {
  EXPECT_THAT(validation_error({"--model.vocab_size=256"}),
              AllOf(HasSubstr("--model.vocab_size: is 256, but the GPT-2 tokenizer"),
                    HasSubstr("fix: set [model] vocab_size to 50257 or more")));
  EXPECT_NO_THROW({
    Config ok = with({"--model.vocab_size=256", "--data.tokenizer=char"});
    validate(ok, 1);
  });
  EXPECT_THAT(
      validation_error({"--activation_checkpointing.num_blocks=13"}),
      HasSubstr("--activation_checkpointing.num_blocks: is 13 but the model has 12 blocks"));
  EXPECT_THAT(validation_error({"--train.lr_schedule=onecycle"}),
              HasSubstr("[train] warmup_steps: must be 0 with lr_schedule = onecycle, got 100"));
  EXPECT_THAT(validation_error({"--output.dir", ""}), HasSubstr("--output.dir: is empty"));
  EXPECT_THAT(error_of([] {
                Config c;
                validate(c, 0);
              }),
              HasSubstr("world size: must be at least 1"));
}

TEST(Validate, DeckErrorsNameTheLine) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("strata-config-validate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string deck = (dir / "run.ini").string();
  std::ofstream(deck) << "[train]\nsteps = 10\nmicro_batch = -2\n";
  Config config = load_config(parse_command_line({deck}));
  EXPECT_THAT(error_of([&] { validate(config, 1); }),
              HasSubstr("[train] micro_batch: must be at least 1, got -2 (" + deck + ":3)"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::config
