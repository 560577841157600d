// The learning-rate schedule (and OneCycle's beta1 cycle) as a pure function
// of the optimizer step, built once from a resolved Config.
//
// Step s counts the optimizer updates already applied (0 for the first; as in
// DeepSpeed, an fp16 step skipped for overflow does not count); lr(s) is the
// rate that update uses. With W' = 0 if warmup_steps = 0, else
// max(2, warmup_steps) (DeepSpeed's floor), D = decay_steps, and
// lr_max / lr_min / lr_start = [train] lr / min_lr / warmup_start_lr:
//
//   warmup, s < W':   lr_start + (lr_max - lr_start) * g
//                     g = s / W' (linear)   or   ln(s + 1) / ln(W') (log)
//   constant:         lr_max                                    (WarmupLR)
//   linear:           lr_min + (lr_max - lr_min) * max(0, (D - s) / max(1, D - W'))
//                                                              (WarmupDecayLR)
//   cosine:           p = min(1, (s - W' + 1) / max(1, D - W'))
//                     lr_min + (lr_max - lr_min) * (1 + cos(pi p)) / 2
//                                                              (WarmupCosineLR)
//   onecycle (F, S = first/second step sizes, T = F + S, c = s if s < T else 0):
//     s <= T:  scale = c / F if c <= F else (T - c) / S   (stairs: floor(scale*n)/n)
//              lr = lr_min + (lr_max - lr_min) * scale
//              beta1 = max_mom - (max_mom - min_mom) * scale
//     s >  T:  k = s - T;  lr = lr_min / (1 + decay_lr_rate * k / decay_step_size)
//              beta1 = max_mom * (1 + decay_mom_rate * k / decay_step_size)
//              (either stays at lr_min / max_mom when its rate or decay_step_size is 0)
//
// These are DeepSpeed's formulas (deepspeed/runtime/lr_schedules.py): get_lr()
// at last_batch_iteration = s for the Warmup* types, and at s - 1 for OneCycle
// (which adds the 1 back itself). docs/lr_schedules.md has the mapping and the
// few places where a DeepSpeed run differs (its one-step lag for Warmup*).
#pragma once

#include <cstdint>

#include "config/config.hpp"

namespace strata::optim {

class LearningRateSchedule {
 public:
  // config must have been through config::validate() (decay_steps and the
  // second half-cycle resolved); 0s there are resolved the same way here.
  explicit LearningRateSchedule(const config::Config& config);

  // The learning rate of optimizer step `step` (>= 0).
  double lr(std::int64_t step) const;

  // Adam's beta1 at `step`: OneCycle with cycle_momentum cycles it inversely
  // to the lr; every other schedule returns [train] beta1.
  double beta1(std::int64_t step) const;

  // The warmup length actually used (W' above), for logs and tests.
  int warmup_steps() const { return warmup_; }

 private:
  // OneCycle's position inside the cycle, in [0, 1] (0 = lr_min, 1 = lr_max).
  double cycle_scale(std::int64_t step) const;
  std::int64_t cycle_length() const { return first_size_ + second_size_; }

  config::LrSchedule shape_;
  config::WarmupType warmup_type_;
  double lr_max_;
  double lr_min_;
  double lr_start_;
  int warmup_;
  std::int64_t decay_steps_;
  double beta1_;
  config::OneCycleSection cycle_;
  std::int64_t first_size_;
  std::int64_t second_size_;
  int first_stairs_;
  int second_stairs_;
};

}  // namespace strata::optim
