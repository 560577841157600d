// Learning-rate schedules: hand-computed values at the steps where formulas
// change, monotonicity, and each DeepSpeed scheduler read from a ds_config
// through the config loader, so the mapping onto [train] keys is covered too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/load.hpp"
#include "config/validate.hpp"
#include "optim/lr_schedule.hpp"

namespace strata::optim {
namespace {

using config::Config;
using config::LrSchedule;
using config::WarmupType;

// Relative tolerance: the values below were computed by hand (or in Python
// from the formula), not by this code.
#define EXPECT_LR(actual, expected) EXPECT_NEAR((actual), (expected), 1e-12 + 1e-12 * (expected))

Config deck(LrSchedule shape, WarmupType type, int warmup, int decay, double lr, double min_lr,
            double start = 0.0) {
  Config c;
  c.train.steps = decay;
  c.train.lr_schedule = shape;
  c.train.warmup_type = type;
  c.train.warmup_steps = warmup;
  c.train.decay_steps = decay;
  c.train.lr = lr;
  c.train.min_lr = min_lr;
  c.train.warmup_start_lr = start;
  return c;
}

TEST(LrSchedule, ConstantWithLogWarmup) {
  const LearningRateSchedule s(deck(LrSchedule::constant, WarmupType::log, 10, 1000, 1e-3, 0));
  EXPECT_LR(s.lr(0), 0.0);                   // ln 1 = 0
  EXPECT_LR(s.lr(4), 6.989700043360187e-4);  // 1e-3 ln 5 / ln 10
  EXPECT_LR(s.lr(9), 1e-3);                  // ln 10 / ln 10: peak on the last warmup step
  EXPECT_LR(s.lr(10), 1e-3);
  EXPECT_LR(s.lr(1000000), 1e-3);
}

TEST(LrSchedule, LinearWarmupStartsAtWarmupStartLr) {
  const LearningRateSchedule s(
      deck(LrSchedule::constant, WarmupType::linear, 10, 100, 1e-3, 0, 1e-4));
  EXPECT_LR(s.lr(0), 1e-4);
  EXPECT_LR(s.lr(5), 5.5e-4);  // 1e-4 + 9e-4 * 5/10
  EXPECT_LR(s.lr(9), 9.1e-4);
  EXPECT_LR(s.lr(10), 1e-3);
}

TEST(LrSchedule, NoWarmupAndDeepSpeedsTwoStepFloor) {
  EXPECT_EQ(LearningRateSchedule(deck(LrSchedule::constant, WarmupType::log, 0, 10, 1e-3, 0)).lr(0),
            1e-3);
  const LearningRateSchedule one(deck(LrSchedule::constant, WarmupType::log, 1, 10, 1e-3, 0));
  EXPECT_EQ(one.warmup_steps(), 2);
  EXPECT_LR(one.lr(0), 0.0);
  EXPECT_LR(one.lr(1), 1e-3);  // ln 2 / ln 2
  const LearningRateSchedule lin(deck(LrSchedule::constant, WarmupType::linear, 1, 10, 1e-3, 0));
  EXPECT_LR(lin.lr(1), 5e-4);
}

TEST(LrSchedule, LinearDecay) {
  const LearningRateSchedule s(
      deck(LrSchedule::linear, WarmupType::linear, 10, 110, 1e-3, 1e-4, 1e-4));
  EXPECT_LR(s.lr(0), 1e-4);
  EXPECT_LR(s.lr(5), 5.5e-4);
  EXPECT_LR(s.lr(10), 1e-3);    // (110 - 10) / 100
  EXPECT_LR(s.lr(60), 5.5e-4);  // 1e-4 + 9e-4 * 50/100
  EXPECT_LR(s.lr(109), 1.09e-4);
  EXPECT_LR(s.lr(110), 1e-4);  // the floor exactly at decay_steps
  EXPECT_LR(s.lr(500), 1e-4);  // and after it
}

TEST(LrSchedule, CosineDecay) {
  const LearningRateSchedule s(deck(LrSchedule::cosine, WarmupType::linear, 100, 1000, 6e-4, 6e-5));
  EXPECT_LR(s.lr(0), 0.0);
  EXPECT_LR(s.lr(50), 3e-4);
  EXPECT_LR(s.lr(99), 5.94e-4);
  EXPECT_LR(s.lr(100), 5.999983550676035e-4);  // one step into the cosine: cos(pi / 900)
  EXPECT_LR(s.lr(549), 3.3e-4);                // half way: 6e-5 + 5.4e-4 / 2
  EXPECT_LR(s.lr(999), 6e-5);                  // the floor on the last step of the run
  EXPECT_LR(s.lr(1000), 6e-5);
  EXPECT_LR(s.lr(5000), 6e-5);  // held, not cycling back up
}

TEST(LrSchedule, CosineWithoutWarmupAndEmptyDecayWindow) {
  const LearningRateSchedule s(deck(LrSchedule::cosine, WarmupType::linear, 0, 1000, 6e-4, 6e-5));
  EXPECT_LR(s.lr(0), 5.999986676045018e-4);  // cos(pi / 1000)
  const LearningRateSchedule flat(deck(LrSchedule::cosine, WarmupType::linear, 10, 10, 1e-3, 1e-4));
  EXPECT_LR(flat.lr(10), 1e-4);
  EXPECT_LR(flat.lr(11), 1e-4);
}

TEST(LrSchedule, Monotone) {
  for (const auto shape : {LrSchedule::linear, LrSchedule::cosine})
    for (const auto type : {WarmupType::linear, WarmupType::log}) {
      const LearningRateSchedule s(deck(shape, type, 50, 400, 1e-3, 1e-5, 1e-6));
      for (int step = 1; step < 50; ++step) EXPECT_GT(s.lr(step), s.lr(step - 1)) << step;
      // linear reaches the floor at decay_steps, cosine one step earlier
      const int floor_step = shape == LrSchedule::linear ? 400 : 399;
      for (int step = 51; step <= floor_step; ++step) EXPECT_LT(s.lr(step), s.lr(step - 1)) << step;
      EXPECT_EQ(s.lr(floor_step), 1e-5);
      for (int step = 0; step < 600; ++step) {
        EXPECT_GE(s.lr(step), 1e-6);
        EXPECT_LE(s.lr(step), 1e-3);
      }
    }
}

Config one_cycle() {
  Config c;
  c.train.lr_schedule = LrSchedule::onecycle;
  c.train.warmup_steps = 0;
  c.train.lr = 1e-3;
  c.train.min_lr = 1e-4;
  c.onecycle.cycle_first_step_size = 10;
  c.onecycle.cycle_second_step_size = 20;
  c.onecycle.decay_lr_rate = 0.5;
  c.onecycle.decay_step_size = 5;
  c.onecycle.cycle_min_mom = 0.85;
  c.onecycle.cycle_max_mom = 0.95;
  c.onecycle.decay_mom_rate = 0.01;
  return c;
}

void expect_one_cycle(const LearningRateSchedule& s) {
  EXPECT_LR(s.lr(0), 1e-4);
  EXPECT_LR(s.lr(5), 5.5e-4);
  EXPECT_LR(s.lr(10), 1e-3);    // top of the cycle
  EXPECT_LR(s.lr(20), 5.5e-4);  // half way down: (30 - 20) / 20
  EXPECT_LR(s.lr(30), 1e-4);    // cycle closed
  EXPECT_LR(s.lr(35), 1e-4 / 1.5);
  EXPECT_LR(s.lr(40), 5e-5);  // 1e-4 / (1 + 0.5 * 10/5)
  EXPECT_NEAR(s.beta1(0), 0.95, 1e-15);
  EXPECT_NEAR(s.beta1(10), 0.85, 1e-15);
  EXPECT_NEAR(s.beta1(20), 0.90, 1e-15);
  EXPECT_NEAR(s.beta1(30), 0.95, 1e-15);
  EXPECT_NEAR(s.beta1(40), 0.95 * 1.02, 1e-15);
}

TEST(LrSchedule, OneCycleLrAndMomentum) {
  expect_one_cycle(LearningRateSchedule(one_cycle()));
  Config c = one_cycle();
  c.onecycle.decay_step_size = 0;  // no post-cycle decay at all
  c.onecycle.cycle_momentum = false;
  c.train.beta1 = 0.8;
  const LearningRateSchedule flat(c);
  EXPECT_LR(flat.lr(100), 1e-4);
  EXPECT_EQ(flat.beta1(5), 0.8);
  EXPECT_EQ(LearningRateSchedule(deck(LrSchedule::cosine, WarmupType::log, 5, 50, 1, 0)).beta1(3),
            Config().train.beta1);
}

TEST(LrSchedule, OneCycleStairs) {
  Config c = one_cycle();
  c.onecycle.cycle_first_stair_count = 2;  // second: 0 = as the first
  const LearningRateSchedule s(c);
  EXPECT_LR(s.lr(4), 1e-4);    // floor(4 * 2 / 10) = 0
  EXPECT_LR(s.lr(5), 5.5e-4);  // stair 1 of 2
  EXPECT_LR(s.lr(9), 5.5e-4);
  EXPECT_LR(s.lr(10), 1e-3);
  EXPECT_LR(s.lr(11), 5.5e-4);  // falling: floor(19 * 2 / 20) = 1
  EXPECT_LR(s.lr(20), 5.5e-4);
  EXPECT_LR(s.lr(21), 1e-4);
}

// --- DeepSpeed ds_config files, through the loader and the validator ------

class DeepSpeedSchedule : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-optim-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LearningRateSchedule load(const std::string& json, int steps) {
    const std::string path = (dir_ / "ds.json").string();
    std::ofstream(path) << json;
    config::CommandLine line;
    line.overrides = {{"train.steps", std::to_string(steps)}, {"train.deepspeed_config", path}};
    Config c = config::load_config(line);
    config::validate(c, 1);
    return LearningRateSchedule(c);
  }

  std::filesystem::path dir_;
};

TEST_F(DeepSpeedSchedule, WarmupLR) {
  const auto s = load(R"({"scheduler": {"type": "WarmupLR", "params": {
      "warmup_min_lr": 1e-5, "warmup_max_lr": 1e-3, "warmup_num_steps": 100}}})",
                      1000);
  EXPECT_LR(s.lr(0), 1e-5);
  EXPECT_LR(s.lr(9), 5.05e-4);  // log is DeepSpeed's default: ln 10 / ln 100 = 1/2
  EXPECT_LR(s.lr(99), 1e-3);
  EXPECT_LR(s.lr(100), 1e-3);
  EXPECT_LR(s.lr(999), 1e-3);
}

TEST_F(DeepSpeedSchedule, WarmupDecayLRDecaysToWarmupMinLr) {
  const auto s = load(R"({"scheduler": {"type": "WarmupDecayLR", "params": {
      "total_num_steps": 1000, "warmup_min_lr": 1e-4, "warmup_max_lr": 2e-3,
      "warmup_num_steps": 100, "warmup_type": "linear"}}})",
                      1200);
  EXPECT_LR(s.lr(0), 1e-4);
  EXPECT_LR(s.lr(50), 1.05e-3);
  EXPECT_LR(s.lr(100), 2e-3);
  EXPECT_LR(s.lr(550), 1.05e-3);  // 1e-4 + 1.9e-3 * 450/900
  EXPECT_LR(s.lr(1000), 1e-4);
  EXPECT_LR(s.lr(1100), 1e-4);  // past total_num_steps
}

TEST_F(DeepSpeedSchedule, WarmupCosineLRUsesRatiosOfTheOptimizerLr) {
  const auto s = load(R"({"optimizer": {"type": "AdamW", "params": {"lr": 1e-3}},
      "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 1000,
      "warmup_min_ratio": 0.1, "cos_min_ratio": 0.01, "warmup_num_steps": 100}}})",
                      1000);
  EXPECT_LR(s.lr(0), 1e-4);    // warmup_min_ratio * lr
  EXPECT_LR(s.lr(9), 5.5e-4);  // (0.1 + 0.9 * ln 10 / ln 100) * lr
  EXPECT_LR(s.lr(99), 1e-3);
  EXPECT_LR(s.lr(549), 5.05e-4);  // (0.01 + 0.99 / 2) * lr
  EXPECT_LR(s.lr(999), 1e-5);     // cos_min_ratio * lr
  EXPECT_LR(s.lr(1500), 1e-5);
}

TEST_F(DeepSpeedSchedule, OneCycle) {
  expect_one_cycle(load(R"({"scheduler": {"type": "OneCycle", "params": {
      "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 10,
      "cycle_second_step_size": 20, "decay_lr_rate": 0.5, "decay_step_size": 5,
      "cycle_min_mom": 0.85, "cycle_max_mom": 0.95, "decay_mom_rate": 0.01}}})",
                        100));
}

}  // namespace
}  // namespace strata::optim
