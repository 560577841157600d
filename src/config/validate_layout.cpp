// The process layout (dp = world / (tp * pp * sp), ep inside dp) and
// DeepSpeed's batch rule, global_batch = micro_batch * grad_accum * dp, where
// any two given determine the third.
#include <climits>
#include <string>
#include <vector>

#include "config/impl/checks.hpp"
#include "core/error.hpp"

namespace strata::config::impl {
namespace {

std::string divisors_of(long long n) {
  std::string list;
  int shown = 0;
  for (long long d = 1; d <= n && shown < 10; ++d)
    if (n % d == 0) list += (shown++ ? ", " : "") + std::to_string(d);
  return list;
}

std::string str(long long value) { return std::to_string(value); }

void check_divides(const Checks& c, const std::string& key, long long part,
                   const std::string& whole_name, long long whole, const std::string& why) {
  if (whole % part == 0) return;
  c.fail(key, "= " + str(part) + " does not divide " + whole_name + " = " + str(whole) + "; " + why,
         c.set(key) + " to a divisor of " + str(whole) + ": " + divisors_of(whole));
}

void resolve_batch(const Checks& c, long long dp, const std::string& dp_story) {
  TrainSection& t = c.config().train;
  c.at_least("train.micro_batch", t.micro_batch, 1);
  c.at_least("train.grad_accum", t.grad_accum, 1);
  c.at_least("train.global_batch", t.global_batch, 0);
  const bool has_micro = c.config().is_set("train.micro_batch");
  const bool has_accum = c.config().is_set("train.grad_accum");
  const long long global = t.global_batch;
  if (global == 0) {
    t.global_batch = static_cast<long long>(t.micro_batch) * t.grad_accum * dp;
    return;
  }
  const std::string rule =
      "the rule is global_batch = micro_batch * grad_accum * dp, with " + dp_story;
  auto derive = [&](long long divisor, const std::string& product, const std::string& other_fix,
                    int& target) {
    if (global % divisor != 0)
      c.fail("train.global_batch",
             "= " + str(global) + " is not divisible by " + product + " = " + str(divisor) + " (" +
                 rule + ")",
             c.set("train.global_batch") + " to a multiple of " + str(divisor) + " (e.g. " +
                 str((global / divisor + 1) * divisor) + "), or " + other_fix);
    if (global / divisor > INT_MAX)
      c.fail("train.global_batch",
             "= " + str(global) + " would need a batch factor of " + str(global / divisor) +
                 ", beyond a 32-bit count",
             c.set("train.global_batch") + " to a realistic size");
    target = static_cast<int>(global / divisor);
  };
  if (has_micro && has_accum) {
    const long long product = static_cast<long long>(t.micro_batch) * t.grad_accum * dp;
    if (product == global) return;
    std::string options = c.set("train.global_batch") + " to " + str(product);
    if (global % (t.micro_batch * dp) == 0)
      options += ", or " + c.set("train.grad_accum") + " to " + str(global / (t.micro_batch * dp));
    if (global % (t.grad_accum * dp) == 0)
      options += ", or " + c.set("train.micro_batch") + " to " + str(global / (t.grad_accum * dp));
    c.fail("train.global_batch",
           "= " + str(global) + ", but micro_batch * grad_accum * dp = " + str(t.micro_batch) +
               " * " + str(t.grad_accum) + " * " + str(dp) + " = " + str(product) +
               " (micro_batch from " + c.name("train.micro_batch") + c.where("train.micro_batch") +
               ", grad_accum from " + c.name("train.grad_accum") + c.where("train.grad_accum") +
               ", " + dp_story + ")",
           options + "; or leave one of the three unset and Strata derives it");
  }
  if (has_micro) {
    derive(static_cast<long long>(t.micro_batch) * dp,
           "micro_batch * dp = " + str(t.micro_batch) + " * " + str(dp),
           "change " + c.name("train.micro_batch") + c.where("train.micro_batch"), t.grad_accum);
  } else if (has_accum) {
    derive(static_cast<long long>(t.grad_accum) * dp,
           "grad_accum * dp = " + str(t.grad_accum) + " * " + str(dp),
           "change " + c.name("train.grad_accum") + c.where("train.grad_accum"), t.micro_batch);
  } else {
    // DeepSpeed's rule with the global batch alone: no accumulation.
    t.grad_accum = 1;
    derive(dp, "dp", "run on a number of data-parallel ranks that divides it", t.micro_batch);
  }
}

}  // namespace

void validate_layout(Checks& c, int world_size) {
  ParallelSection& p = c.config().parallel;
  const ModelSection& m = c.config().model;
  c.at_least("parallel.tp", p.tp, 1);
  c.at_least("parallel.pp", p.pp, 1);
  c.at_least("parallel.sp", p.sp, 1);
  c.at_least("parallel.ep", p.ep, 1);
  const long long model_ranks = static_cast<long long>(p.tp) * p.pp * p.sp;
  if (world_size % model_ranks != 0)
    throw_input_error("[parallel] tp * pp * sp",
                      "tp * pp * sp = " + str(p.tp) + " * " + str(p.pp) + " * " + str(p.sp) +
                          " = " + str(model_ranks) + " does not divide the world size " +
                          str(world_size) + " (dp = world / (tp * pp * sp) must be whole)",
                      "launch a multiple of " + str(model_ranks) +
                          " ranks, or choose tp, pp, sp whose "
                          "product divides " +
                          str(world_size) + ": " + divisors_of(world_size));
  p.dp = static_cast<int>(world_size / model_ranks);
  const std::string dp_story = "dp = " + str(p.dp) + " = world " + str(world_size) + " / (tp " +
                               str(p.tp) + " * pp " + str(p.pp) + " * sp " + str(p.sp) + ")";
  check_divides(
      c, "parallel.ep", p.ep, "dp", p.dp,
      "expert-parallel groups are carved out of the data-parallel ranks (" + dp_story + ")");
  check_divides(c, "parallel.tp", p.tp, "[model] n_head", m.n_head,
                "tensor parallelism splits the attention heads");
  check_divides(c, "parallel.sp", p.sp, "[model] n_head", m.n_head,
                "Ulysses sequence parallelism redistributes the attention heads");
  check_divides(c, "parallel.sp", p.sp, "[model] block_size", m.block_size,
                "each sequence-parallel rank holds an equal chunk of the sequence");
  if (p.pp > m.n_layer)
    c.fail("parallel.pp",
           "= " + str(p.pp) + " is more than [model] n_layer = " + str(m.n_layer) +
               "; every pipeline stage needs at least one layer",
           c.set("parallel.pp") + " to at most " + str(m.n_layer));
  resolve_batch(c, p.dp, dp_story);
}

}  // namespace strata::config::impl
