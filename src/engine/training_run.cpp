// The training loop: data, model, optimizer, metrics, checkpoints and the
// end-of-run summary (DESIGN.md "One training step", one-rank case).
#include "engine/training_run.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

#include "config/resolved_writer.hpp"
#include "core/app.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/timer.hpp"
#include "engine/checkpointing.hpp"
#include "engine/gpt_engine.hpp"
#include "engine/metrics_csv.hpp"
#include "engine/run_setup.hpp"
#include "engine/sgemm_probe.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "kernels/grad_norm.hpp"
#include "optim/lr_schedule.hpp"

namespace strata::engine {
namespace {

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

}  // namespace

TrainingSummary run_training(const config::Config& config, MPI_Comm comm) {
  const std::string out_dir = config.output.dir;
  prepare_output_dir(out_dir);
  log::mirror_to_file(out_dir + "/log.txt");
  config::write_resolved_ini(config, out_dir + "/config.resolved.ini");
  const std::string config_text = config::format_resolved_ini(config);

  const io::TokenDataset data = open_training_data(config, comm);
  MemoryLedger ledger;
  ledger.set_device_budget(config.memory.device_memory_limit);
  const model::GptShape shape = gpt_shape(config.model);
  const auto& train = config.train;
  const int seq = shape.block_size;
  GptEngine engine(shape, static_cast<int>(data.info().vocab_size), train.micro_batch, seq, ledger);

  std::optional<std::string> resume;
  agree_on_success(comm, [&] {
    if (!config.checkpoint.every && config.checkpoint.resume.empty()) return;
    io::prepare_checkpoint_dir(config.checkpoint.dir);
    resume = io::resolve_resume(config.checkpoint.dir, config.checkpoint.resume);
  });
  std::int64_t start = 0;
  if (resume) {
    start = static_cast<std::int64_t>(load_checkpoint(comm, engine.store(), *resume, train.seed));
    log::info("resumed from ", *resume, " at step ", start);
  } else {
    engine.store().initialize(train.seed);
  }

  const io::BatchLayout layout{static_cast<std::uint64_t>(train.micro_batch),
                               static_cast<std::uint64_t>(train.grad_accum), 1};
  const io::BatchReader reader(data, layout, static_cast<std::uint64_t>(seq), train.seed);
  const optim::LearningRateSchedule schedule(config);
  const std::string metrics_path = out_dir + "/metrics.csv";
  MetricsCsv metrics =
      start > 0 ? MetricsCsv::resume(metrics_path, start) : MetricsCsv::create(metrics_path);

  const double peak = measure_sgemm_peak_tflops();
  const double flops_per_token = model::gpt_train_flops_per_token(shape, seq);
  const double tokens_per_step = static_cast<double>(layout.per_rank()) * seq;
  log::info("model: ", shape.n_layer, " layers, ", shape.n_head, " heads, n_embd ", shape.n_embd,
            ", block ", seq, ", vocab ", shape.vocab_size, " (tokenizer ", data.info().vocab_size,
            "), ", engine.store().total(), " parameters");
  log::info("batch: ", train.micro_batch, " x ", train.grad_accum, " x ", seq, " = ",
            tokens_per_step, " tokens/step; SGEMM probe peak ", fixed(peak * 1e3, 1),
            " GFLOP/s (MFU is against it)");

  auto evaluate = [&] {
    double sum = 0;
    for (int i = 0; i < train.eval_steps; ++i)
      sum +=
          engine.loss(reader.micro_batch(io::TokenSplit::val, static_cast<std::uint64_t>(i), 0, 0));
    return sum / train.eval_steps;
  };

  TrainingSummary summary;
  double train_seconds = 0;
  const float dloss = static_cast<float>(1.0 / (tokens_per_step));
  for (std::int64_t step = start; step < train.steps; ++step) {
    Stopwatch clock;
    engine.store().zero_grads();
    double loss = 0;
    for (int micro = 0; micro < train.grad_accum; ++micro)
      loss += engine.forward_backward(
          reader.micro_batch(io::TokenSplit::train, static_cast<std::uint64_t>(step), 0,
                             static_cast<std::uint64_t>(micro)),
          dloss);
    loss /= train.grad_accum;
    const double norm = engine.grad_norm();
    kernels::AdamWHyper hyper{schedule.lr(step), schedule.beta1(step), train.beta2, train.eps,
                              train.weight_decay};
    engine.adamw_step(step + 1, hyper, kernels::clip_coefficient(norm, train.grad_clip));
    Kokkos::fence();
    const double seconds = clock.elapsed_seconds();
    train_seconds += seconds;
    ++summary.steps_run;

    MetricsRow row;
    row.step = step;
    row.loss = loss;
    row.lr = hyper.lr;
    row.grad_norm = norm;
    row.tokens_per_s = tokens_per_step / seconds;
    row.tflops = flops_per_token * *row.tokens_per_s / 1e12;
    if (peak > 0) row.mfu = *row.tflops / peak;
    const bool last = step + 1 == train.steps;
    if (train.eval_every > 0 && ((step + 1) % train.eval_every == 0 || last))
      summary.final_val_loss = row.val_loss = evaluate();
    const auto memory = ledger.snapshot();
    row.mem_device_bytes = memory.at(MemoryTier::device).peak;
    row.mem_host_bytes = memory.at(MemoryTier::host).peak;
    metrics.append(row);
    summary.final_loss = loss;

    if (step == start || last || row.val_loss ||
        (config.log.every > 0 && (step + 1) % config.log.every == 0)) {
      const double eta =
          train_seconds / summary.steps_run * static_cast<double>(train.steps - step - 1);
      log::info("step ", step + 1, "/", train.steps, " loss ", fixed(loss, 4),
                row.val_loss ? " val " + fixed(*row.val_loss, 4) : std::string(), " lr ", hyper.lr,
                " norm ", fixed(norm, 3), " ", fixed(*row.tokens_per_s, 0), " tok/s ",
                fixed(*row.tflops * 1e3, 2), " GFLOP/s MFU ",
                row.mfu ? fixed(*row.mfu * 100, 1) + "%" : std::string("-"), " ",
                fixed(seconds * 1e3, 1), " ms ETA ", duration(eta));
    }
    if (config.checkpoint.every > 0 && ((step + 1) % config.checkpoint.every == 0)) {
      const auto path =
          save_checkpoint(comm, engine.store(), config.checkpoint.dir,
                          static_cast<std::uint64_t>(step + 1), train.seed, config_text);
      log::info("checkpoint ", path);
    }
  }

  summary.tokens_per_s =
      train_seconds > 0 ? tokens_per_step * summary.steps_run / train_seconds : 0;
  write_file_atomically(out_dir + "/ledger.json",
                        nlohmann::json{{"rank", 0}, {"memory", ledger.to_json()}}.dump(2) + "\n");
  log::info("done: ", summary.steps_run, " steps, final train loss ", fixed(summary.final_loss, 4),
            ", val loss ",
            summary.final_val_loss ? fixed(*summary.final_val_loss, 4) : std::string("-"), ", ",
            fixed(summary.tokens_per_s, 0), " tokens/s");
  log::info("peak memory by category:\n", format_memory_table(ledger.snapshot()));
  return summary;
}

}  // namespace strata::engine
