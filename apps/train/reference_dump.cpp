// strata-reference-dump: builds the deck's model, takes one fixed batch (the
// first micro-batch of step 0) and writes what a PyTorch re-implementation
// needs to check us: initial weights, gradients, and the losses of a few
// AdamW steps on that batch. Format: docs/training.md "Reference dump".
#include <mpi.h>

#include <hdf5.h>

#include <chrono>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "config/load.hpp"
#include "config/validate.hpp"
#include "core/app.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "engine/gpt_engine.hpp"
#include "engine/run_setup.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"
#include "io/token_dataset.hpp"
#include "kernels/blas_runtime.hpp"

// Inside namespace strata rather than `using namespace strata`: the latter
// makes strata::log collide with ::log in the math headers nvcc appends.
namespace strata {
namespace {
namespace h5 = io::h5;

struct DumpOptions {
  std::string out;
  int steps = 10;
  std::vector<std::string> config_args;  // everything else: deck and overrides
};

DumpOptions parse(int argc, char** argv) {
  DumpOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& flag) -> std::string {
      if (arg.rfind(flag + "=", 0) == 0) return arg.substr(flag.size() + 1);
      if (i + 1 >= argc) throw_input_error(flag, "needs a value", "give " + flag + " VALUE");
      return argv[++i];
    };
    if (arg == "--out" || arg.rfind("--out=", 0) == 0) {
      options.out = value("--out");
    } else if (arg == "--steps" || arg.rfind("--steps=", 0) == 0) {
      const std::string text = value("--steps");
      try {
        options.steps = std::stoi(text);
      } catch (const std::exception&) {
        options.steps = -1;
      }
      if (options.steps < 0)
        throw_input_error("--steps " + text, "is not a count", "give a whole number >= 0");
    } else {
      options.config_args.push_back(arg);
    }
  }
  if (options.out.empty())
    throw_input_error("--out", "is required",
                      "usage: strata-reference-dump deck.ini --out dump.h5 [--steps 10]");
  return options;
}

void write_dataset(hid_t owner, const std::string& name, hid_t memory_type, hid_t file_type,
                   const std::vector<hsize_t>& dims, const void* values, const std::string& path) {
  h5::Dataspace space(STRATA_CHECK_H5(
      dims.empty() ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
      path));
  h5::Dataset set(STRATA_CHECK_H5(
      H5Dcreate2(owner, name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      path));
  STRATA_CHECK_H5(H5Dwrite(set.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), path);
}

using Group = h5::Handle<H5Gclose>;
Group make_group(hid_t file, const char* name, const std::string& path) {
  return Group(
      STRATA_CHECK_H5(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path));
}

// Every parameter (or gradient) at its logical shape, as float32.
void write_tensors(hid_t group, zero::ZeroStore& store, bool grads, const std::string& path) {
  const auto& specs = store.layout().specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::vector<float> values = grads ? store.full_grad(i) : store.full_param(i);
    std::vector<hsize_t> dims(specs[i].shape.begin(), specs[i].shape.end());
    write_dataset(group, specs[i].name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, dims, values.data(),
                  path);
  }
}

int dump(int argc, char** argv) {
  const DumpOptions options = parse(argc, argv);
  auto config = config::load_config(config::parse_command_line(options.config_args));
  config::validate_on_all_ranks(config, MPI_COMM_WORLD);
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  engine::require_supported(config, world);
  io::require_writable_output(options.out, "--out");
  const io::TokenDataset data = engine::open_training_data(config, MPI_COMM_WORLD);
  const auto& train = config.train;
  const int B = train.micro_batch, T = config.model.block_size;
  MemoryLedger ledger;
  // The reference is the one-rank fp32 model: stage 0 on this process alone.
  comm::Communicator self(MPI_COMM_SELF, "dp", nullptr, std::chrono::milliseconds(0));
  engine::GptEngine engine(engine::gpt_shape(config.model),
                           static_cast<int>(data.info().vocab_size), B, T, zero::ZeroOptions{},
                           self, ledger);
  engine.store().initialize(train.seed);
  const io::BatchLayout layout{static_cast<std::uint64_t>(B),
                               static_cast<std::uint64_t>(train.grad_accum), 1};
  const io::BatchReader reader(data, layout, static_cast<std::uint64_t>(T), train.seed);
  const io::TokenBatch batch = reader.micro_batch(io::TokenSplit::train, 0, 0, 0);

  h5::silence_error_printing();
  const std::string& path = options.out;
  h5::File file = h5::create_serial(path);
  const hid_t root = file.id();
  const auto& m = config.model;
  for (auto [key, value] : {std::pair<const char*, int>{"n_layer", m.n_layer},
                            {"n_head", m.n_head},
                            {"n_embd", m.n_embd},
                            {"block_size", m.block_size},
                            {"vocab_size", m.vocab_size},
                            {"bias", m.bias ? 1 : 0},
                            {"steps", options.steps}})
    h5::write_attribute(root, key, static_cast<std::uint64_t>(value), path);
  h5::write_attribute(root, "real_vocab_size", data.info().vocab_size, path);
  for (auto [key, value] : {std::pair<const char*, double>{"lr", train.lr},
                            {"beta1", train.beta1},
                            {"beta2", train.beta2},
                            {"eps", train.eps},
                            {"weight_decay", train.weight_decay}})
    h5::write_attribute(root, key, value, path);
  {
    Group group = make_group(root, "batch", path);
    const std::vector<hsize_t> dims{static_cast<hsize_t>(B), static_cast<hsize_t>(T)};
    write_dataset(group.id(), "x", H5T_NATIVE_INT32, H5T_STD_I32LE, dims, batch.inputs.data(),
                  path);
    write_dataset(group.id(), "y", H5T_NATIVE_INT32, H5T_STD_I32LE, dims, batch.targets.data(),
                  path);
  }
  write_tensors(make_group(root, "init", path).id(), engine.store(), false, path);

  // Gradients of the batch's mean loss at the initial weights.
  const float dloss = 1.0f / static_cast<float>(B * T);
  engine.store().zero_grads();
  const double loss0 = engine.forward_backward(batch, dloss);
  write_tensors(make_group(root, "grad", path).id(), engine.store(), true, path);
  write_dataset(root, "loss0", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {}, &loss0, path);

  // Constant lr, no clipping, decay on weight_decay specs only.
  std::vector<double> losses;
  const kernels::AdamWHyper hyper{train.lr, train.beta1, train.beta2, train.eps,
                                  train.weight_decay};
  for (int s = 0; s < options.steps; ++s) {
    engine.store().zero_grads();
    losses.push_back(engine.forward_backward(batch, dloss));
    engine.adamw_step(s + 1, hyper, 1.0f);
  }
  write_dataset(root, "losses", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE,
                {static_cast<hsize_t>(losses.size())}, losses.data(), path);
  file.close(path);
  log::info("wrote ", path, ": loss0 ", loss0, ", ", losses.size(), " steps, last loss ",
            losses.empty() ? loss0 : losses.back());
  return 0;
}
}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  strata::kernels::ensure_blas_tuning(argc, argv);
  return strata::run_app("strata-reference-dump", argc, argv, strata::dump);
}
