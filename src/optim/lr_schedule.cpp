// LearningRateSchedule: the formulas of lr_schedule.hpp. Everything is a
// function of the step alone, so a resumed run (or any layout) gets the same
// rate at the same step without carrying scheduler state in the checkpoint.
#include "optim/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/contract.hpp"

namespace strata::optim {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

LearningRateSchedule::LearningRateSchedule(const config::Config& config)
    : shape_(config.train.lr_schedule),
      warmup_type_(config.train.warmup_type),
      lr_max_(config.train.lr),
      lr_min_(config.train.min_lr),
      lr_start_(config.train.warmup_start_lr),
      // DeepSpeed raises a warmup of 1 to 2 (the log ramp divides by ln W);
      // 0 is Strata's "no warmup", which DeepSpeed cannot express.
      warmup_(config.train.warmup_steps <= 0 ? 0 : std::max(2, config.train.warmup_steps)),
      decay_steps_(config.train.decay_steps > 0 ? config.train.decay_steps : config.train.steps),
      beta1_(config.train.beta1),
      cycle_(config.onecycle),
      first_size_(std::max(1, config.onecycle.cycle_first_step_size)),
      second_size_(config.onecycle.cycle_second_step_size > 0
                       ? config.onecycle.cycle_second_step_size
                       : first_size_),
      first_stairs_(config.onecycle.cycle_first_stair_count),
      second_stairs_(config.onecycle.cycle_second_stair_count > 0
                         ? config.onecycle.cycle_second_stair_count
                         : config.onecycle.cycle_first_stair_count) {}

double LearningRateSchedule::cycle_scale(std::int64_t step) const {
  // Integer position in the cycle: DeepSpeed works in floats and needed a
  // fix for stairs landing 1e-16 below a boundary; integers cannot.
  const std::int64_t total = cycle_length();
  const std::int64_t c = step < total ? step : 0;  // step == total closes the cycle at lr_min
  const bool rising = c <= first_size_;
  const double position = rising
                              ? static_cast<double>(c) / static_cast<double>(first_size_)
                              : static_cast<double>(total - c) / static_cast<double>(second_size_);
  const int stairs = rising ? first_stairs_ : second_stairs_;
  if (stairs <= 0) return position;
  // A stair holds the value flat: floor of the stair index reached so far.
  const std::int64_t span = rising ? first_size_ : second_size_;
  const std::int64_t offset = rising ? c : total - c;
  return static_cast<double>((offset * stairs) / span) / stairs;
}

double LearningRateSchedule::lr(std::int64_t step) const {
  STRATA_EXPECTS(step >= 0);
  if (shape_ == config::LrSchedule::onecycle) {
    if (step <= cycle_length()) return lr_min_ + (lr_max_ - lr_min_) * cycle_scale(step);
    // DeepSpeed skips the post-cycle decay when either number is zero.
    if (cycle_.decay_step_size == 0 || cycle_.decay_lr_rate == 0.0) return lr_min_;
    const double intervals =
        static_cast<double>(step - cycle_length()) / static_cast<double>(cycle_.decay_step_size);
    return lr_min_ / (1.0 + cycle_.decay_lr_rate * intervals);
  }

  if (step < warmup_) {
    const double s = static_cast<double>(step);
    const double gamma = warmup_type_ == config::WarmupType::log
                             ? std::log(s + 1.0) / std::log(static_cast<double>(warmup_))
                             : s / static_cast<double>(warmup_);
    return lr_start_ + (lr_max_ - lr_start_) * gamma;
  }
  // max(1, ...): a decay window of zero length (decay_steps == warmup) holds
  // the floor from the end of the warmup on, as DeepSpeed does.
  const double window = static_cast<double>(std::max<std::int64_t>(1, decay_steps_ - warmup_));
  switch (shape_) {
    case config::LrSchedule::constant: return lr_max_;
    case config::LrSchedule::linear: {
      const double remaining = std::max(0.0, static_cast<double>(decay_steps_ - step) / window);
      return lr_min_ + (lr_max_ - lr_min_) * remaining;
    }
    case config::LrSchedule::cosine: {
      // "+ 1": DeepSpeed's WarmupCosineLR is one step into the cosine at the
      // end of the warmup and reaches the floor at decay_steps - 1, the last
      // step of a decay_steps-long run.
      const double progress = std::min(1.0, static_cast<double>(step - warmup_ + 1) / window);
      return lr_min_ + (lr_max_ - lr_min_) * 0.5 * (1.0 + std::cos(kPi * progress));
    }
    case config::LrSchedule::onecycle: break;  // handled above
  }
  return lr_max_;
}

double LearningRateSchedule::beta1(std::int64_t step) const {
  STRATA_EXPECTS(step >= 0);
  if (shape_ != config::LrSchedule::onecycle || !cycle_.cycle_momentum) return beta1_;
  const double max_mom = cycle_.cycle_max_mom;
  if (step <= cycle_length()) return max_mom - (max_mom - cycle_.cycle_min_mom) * cycle_scale(step);
  if (cycle_.decay_step_size == 0 || cycle_.decay_mom_rate == 0.0) return max_mom;
  // DeepSpeed multiplies here (the lr divides): beta1 grows after the cycle.
  const double intervals =
      static_cast<double>(step - cycle_length()) / static_cast<double>(cycle_.decay_step_size);
  return max_mom * (1.0 + cycle_.decay_mom_rate * intervals);
}

}  // namespace strata::optim
