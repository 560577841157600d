// The training loop: data, model, optimizer, metrics, checkpoints and the
// end-of-run summary (DESIGN.md "One training step", one-rank case).
#include "engine/training_run.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "comm/topology/process_topology.hpp"
#include "config/resolved_writer.hpp"
#include "core/app.hpp"
#include "core/atomic_file.hpp"
#include "core/check.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/timer.hpp"
#include "engine/checkpointing.hpp"
#include "engine/gpt_engine.hpp"
#include "engine/metrics_csv.hpp"
#include "engine/run_setup.hpp"
#include "engine/sgemm_probe.hpp"
#include "engine/train_step.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "kernels/grad_norm.hpp"
#include "optim/lr_schedule.hpp"
#include "zero/zero_options.hpp"

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

// Every rank's text, in rank order, on rank 0 (empty elsewhere).
std::vector<std::string> gather_text(MPI_Comm comm, const std::string& text) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int length = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(size)), offsets(lengths.size());
  STRATA_CHECK_MPI(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm));
  int total = 0;
  for (int r = 0; r < size; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(rank == 0 ? total : 0), '\0');
  STRATA_CHECK_MPI(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                               offsets.data(), MPI_CHAR, 0, comm));
  std::vector<std::string> texts;
  if (rank == 0)
    for (int r = 0; r < size; ++r)
      texts.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                                 static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)])));
  return texts;
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
  comm::CommLedger comm_ledger;
  const comm::ProcessTopology topology(comm, config.parallel);
  const int world_rank = topology.rank(comm::Group::world);
  // Dense parameters are ZeRO-partitioned over DP x SP (DESIGN.md): the
  // ranks that hold the same tensor-parallel piece.
  comm::Communicator dp(topology.comm(comm::Group::dp_sp), "dp", &comm_ledger,
                        std::chrono::seconds(config.comm.timeout_s));
  comm::Communicator sp(topology.comm(comm::Group::sp), "sp", &comm_ledger,
                        std::chrono::seconds(config.comm.timeout_s));
  comm::Communicator tp(topology.comm(comm::Group::tp), "tp", &comm_ledger,
                        std::chrono::seconds(config.comm.timeout_s));
  const auto replicas = static_cast<std::uint64_t>(topology.size(comm::Group::dp));
  const auto data_rank = static_cast<std::uint64_t>(topology.rank(comm::Group::dp));
  const model::GptShape shape = gpt_shape(config.model);
  const auto& train = config.train;
  const int seq = shape.block_size;
  const zero::ZeroOptions zero = zero::zero_options(config);
  GptEngine engine(shape, static_cast<int>(data.info().vocab_size), train.micro_batch, seq, zero,
                   dp, ledger, EngineOptions{&sp, checkpointed_blocks(config), &tp});

  std::optional<std::string> resume;
  agree_on_success(comm, [&] {
    if (!config.checkpoint.every && config.checkpoint.resume.empty()) return;
    io::prepare_checkpoint_dir(config.checkpoint.dir);
    resume = io::resolve_resume(config.checkpoint.dir, config.checkpoint.resume);
  });
  if (resume && !kDeviceMemoryIsHostMemory)
    throw_input_error("[checkpoint] resume = " + config.checkpoint.resume,
                      "found " + *resume +
                          ", but this GPU build cannot read checkpoints yet (device buffers "
                          "have no host staging for HDF5)",
                      "start in a fresh [checkpoint] dir, or resume with the CPU build");
  TrainingProgress progress;
  if (resume) {
    progress = load_checkpoint(comm, engine.store(), *resume, train.seed);
    log::info("resumed from ", *resume, " at step ", progress.step);
  } else {
    engine.store().initialize(train.seed);
  }
  const auto start = static_cast<std::int64_t>(progress.step);

  const io::BatchLayout layout{static_cast<std::uint64_t>(train.micro_batch),
                               static_cast<std::uint64_t>(train.grad_accum), replicas};
  const io::BatchReader reader(data, layout, static_cast<std::uint64_t>(seq), train.seed);
  StepExecutor executor(engine, reader, dp, config, data_rank);
  executor.set_optimizer_steps(static_cast<std::int64_t>(progress.optimizer_step));
  if (resume) executor.restore_loss_scale(progress.loss_scale, *resume);
  const optim::LearningRateSchedule schedule(config);
  const std::string metrics_path = out_dir + "/metrics.csv";
  std::optional<MetricsCsv> metrics;
  if (world_rank == 0)
    metrics.emplace(start > 0 ? MetricsCsv::resume(metrics_path, start)
                              : MetricsCsv::create(metrics_path));

  const double peak = measure_sgemm_peak_tflops();
  const double flops_per_token = model::gpt_train_flops_per_token(shape, seq);
  const double tokens_per_step = static_cast<double>(layout.global_batch()) * seq;
  log::info("model: ", shape.n_layer, " layers, ", shape.n_head, " heads, n_embd ", shape.n_embd,
            ", block ", seq, ", vocab ", shape.vocab_size, " (tokenizer ", data.info().vocab_size,
            "), ", engine.store().layout().param_count(), " parameters");
  log::info("layout: ", replicas, " data-parallel rank(s)",
            sp.size() > 1 ? " x " + std::to_string(sp.size()) + " sequence-parallel (Ulysses)"
                          : std::string(),
            tp.size() > 1 ? " x " + std::to_string(tp.size()) + " tensor-parallel (Megatron)"
                          : std::string(),
            ", ZeRO stage ", zero.stage, " over ", dp.size(), " rank(s), ", name(zero.dtype),
            " parameters and gradients; step: ", describe(executor.schedule()));
  log::info("activation checkpointing: ", engine.model().checkpointed_blocks(), " of ",
            shape.n_layer, " blocks recompute their activations in backward");
  log::info("batch: ", train.micro_batch, " x ", train.grad_accum, " x ", replicas, " x ", seq,
            " = ", tokens_per_step, " tokens/step; SGEMM probe peak ", fixed(peak * 1e3, 1),
            " GFLOP/s per rank (MFU is against ranks x peak)");

  auto evaluate = [&] {
    double sum = 0;
    for (int i = 0; i < train.eval_steps; ++i)
      sum += engine.loss(
          reader.micro_batch(io::TokenSplit::val, static_cast<std::uint64_t>(i), data_rank, 0));
    if (dp.size() > 1) sum = dp.all_reduce_sum(sum) / dp.size();
    return sum / train.eval_steps;
  };

  TrainingSummary summary;
  double train_seconds = 0;
  for (std::int64_t step = start; step < train.steps; ++step) {
    Stopwatch clock;
    comm_ledger.begin_step(step);
    engine.store().zero_grads();
    // The schedule follows applied updates, as DeepSpeed's scheduler does:
    // an fp16 step skipped for overflow does not advance it.
    const std::int64_t update = executor.optimizer_steps();
    kernels::AdamWHyper hyper{schedule.lr(update), schedule.beta1(update), train.beta2, train.eps,
                              train.weight_decay};
    const StepResult result = executor.run(step, hyper);
    const double loss = result.loss;
    const double norm = result.grad_norm;
    Kokkos::fence();
    const double seconds = clock.elapsed_seconds();
    train_seconds += seconds;
    ++summary.steps_run;

    MetricsRow row;
    row.step = step;
    row.loss = loss;
    row.lr = hyper.lr;
    row.grad_norm = norm;
    if (config.precision.dtype == config::DType::fp16) row.loss_scale = result.loss_scale;
    row.tokens_per_s = tokens_per_step / seconds;
    row.tflops = flops_per_token * *row.tokens_per_s / 1e12;
    if (peak > 0) row.mfu = *row.tflops / (peak * topology.size(comm::Group::world));
    const bool last = step + 1 == train.steps;
    if (train.eval_every > 0 && ((step + 1) % train.eval_every == 0 || last))
      summary.final_val_loss = row.val_loss = evaluate();
    const auto memory = ledger.snapshot();
    row.mem_device_bytes = memory.at(MemoryTier::device).peak;
    row.mem_host_bytes = memory.at(MemoryTier::host).peak;
    if (metrics) metrics->append(row);
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
      const TrainingProgress now{static_cast<std::uint64_t>(step + 1),
                                 static_cast<std::uint64_t>(executor.optimizer_steps()),
                                 executor.loss_scale_state()};
      // TP ranks hold the replicated parameters alike: one of them writes.
      const auto path = save_checkpoint(comm, engine.store(), config.checkpoint.dir, now,
                                        train.seed, config_text, tp.rank() == 0);
      log::info("checkpoint ", path);
    }
  }

  summary.tokens_per_s =
      train_seconds > 0 ? tokens_per_step * summary.steps_run / train_seconds : 0;
  // ledger.json: every rank's memory and communication, gathered to rank 0.
  const auto ledgers = gather_text(comm, nlohmann::json{{"rank", world_rank},
                                                        {"memory", ledger.to_json()},
                                                        {"communication", comm_ledger.to_json()}}
                                             .dump());
  const auto tables = gather_text(comm, format_memory_table(ledger.snapshot()));
  if (world_rank == 0) {
    nlohmann::json ranks = nlohmann::json::array();
    for (const auto& text : ledgers) ranks.push_back(nlohmann::json::parse(text));
    write_file_atomically(out_dir + "/ledger.json",
                          nlohmann::json{{"ranks", ranks}}.dump(2) + "\n");
  }
  log::info("done: ", summary.steps_run, " steps, final train loss ", fixed(summary.final_loss, 4),
            ", val loss ",
            summary.final_val_loss ? fixed(*summary.final_val_loss, 4) : std::string("-"), ", ",
            fixed(summary.tokens_per_s, 0), " tokens/s");
  for (std::size_t r = 0; r < tables.size(); ++r)
    log::info("rank ", r, " peak memory by category:\n", tables[r]);
  return summary;
}

}  // namespace strata::engine
