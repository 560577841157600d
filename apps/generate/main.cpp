// strata-generate: samples text from a trained checkpoint. `strata-generate
// deck.ini [--section.key=value ...] [--checkpoint step-N.h5|latest]
// [--prompt TEXT] [--tokens 200] [--temperature 0.8] [--top-k 40] [--seed 1]`.
// One rank; the tokenizer is the one named in the deck's token file.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "config/load.hpp"
#include "config/validate.hpp"
#include "core/app.hpp"
#include "core/error.hpp"
#include "core/philox.hpp"
#include "engine/checkpointing.hpp"
#include "engine/gpt_engine.hpp"
#include "engine/run_setup.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "kernels/blas_runtime.hpp"
#include "sampling.hpp"

// Inside namespace strata rather than `using namespace strata`: the latter
// makes strata::log collide with ::log in the math headers nvcc appends.
namespace strata {
namespace {

struct GenerateOptions {
  std::string checkpoint = "latest";
  std::string prompt = "\n";
  int tokens = 200;
  double temperature = 0.8;
  int top_k = 40;
  std::uint64_t seed = 1;
  std::vector<std::string> config_args;
};

GenerateOptions parse(int argc, char** argv) {
  GenerateOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    auto value = [&]() -> std::string {
      if (eq != std::string::npos) return arg.substr(eq + 1);
      if (i + 1 >= argc) throw_input_error(flag, "needs a value", "give " + flag + " VALUE");
      return argv[++i];
    };
    auto number = [&](const std::string& text) {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        throw_input_error(flag + " " + text, "is not a number", "give a number");
      return v;
    };
    if (flag == "--checkpoint")
      o.checkpoint = value();
    else if (flag == "--prompt")
      o.prompt = value();
    else if (flag == "--tokens")
      o.tokens = static_cast<int>(number(value()));
    else if (flag == "--temperature")
      o.temperature = number(value());
    else if (flag == "--top-k")
      o.top_k = static_cast<int>(number(value()));
    else if (flag == "--seed")
      o.seed = static_cast<std::uint64_t>(number(value()));
    else
      o.config_args.push_back(arg);
  }
  return o;
}

std::unique_ptr<io::Tokenizer> tokenizer_of(const io::TokenFileInfo& info) {
  io::TokenizerSource source;
  source.char_vocabulary = info.tokenizer_vocab;
  const char* env = std::getenv("STRATA_BPE_DIR");
  source.gpt2_dir = env && *env ? env : STRATA_DEFAULT_BPE_DIR;
  return io::make_tokenizer(info.tokenizer, source);
}

int run_generate(int argc, char** argv) {
  const GenerateOptions o = parse(argc, argv);
  auto config = config::load_config(config::parse_command_line(o.config_args));
  config::validate_on_all_ranks(config, MPI_COMM_WORLD);
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  engine::require_supported(config, world);
  const io::TokenDataset data = engine::open_training_data(config, MPI_COMM_WORLD);
  const auto tokenizer = tokenizer_of(data.info());
  std::optional<std::string> path;
  agree_on_success(MPI_COMM_WORLD,
                   [&] { path = io::resolve_resume(config.checkpoint.dir, o.checkpoint); });
  if (!path)
    throw_input_error("--checkpoint " + o.checkpoint,
                      "finds no checkpoint in " + config.checkpoint.dir,
                      "train first (strata-train with [checkpoint] every), or name a step-N.h5");

  const int T = config.model.block_size;
  const int vocab = static_cast<int>(data.info().vocab_size);
  MemoryLedger ledger;
  // Checkpoints are layout-free: sampling loads one whole fp32 copy.
  comm::Communicator self(MPI_COMM_SELF, "dp", nullptr, std::chrono::milliseconds(0));
  engine::GptEngine engine(engine::gpt_shape(config.model), vocab, 1, T, zero::ZeroOptions{}, self,
                           ledger);
  engine::load_checkpoint(MPI_COMM_WORLD, engine.store(), *path, config.train.seed);
  const auto& head = dynamic_cast<const model::FinalLayer&>(*engine.model().layers().back());

  std::vector<io::TokenId> text = tokenizer->encode(o.prompt);
  if (text.empty()) text.push_back(0);
  const CounterRng rng(o.seed, stream_id("strata/generate"));
  std::vector<io::TokenId> generated;
  io::TokenBatch batch;
  batch.rows = 1;
  batch.block_size = static_cast<std::uint64_t>(T);
  for (int n = 0; n < o.tokens; ++n) {
    // Causal attention: positions after the context do not change its
    // logits, so the window is padded with 0s and read at its last token.
    const std::size_t start = text.size() > static_cast<std::size_t>(T) ? text.size() - T : 0;
    const std::size_t length = text.size() - start;
    batch.inputs.assign(static_cast<std::size_t>(T), 0);
    batch.targets.assign(static_cast<std::size_t>(T), 0);
    for (std::size_t t = 0; t < length; ++t)
      batch.inputs[t] = static_cast<std::int32_t>(text[start + t]);
    engine.loss(batch);
    const auto logits = head.logits();
    std::vector<float> row(static_cast<std::size_t>(vocab));
    for (int v = 0; v < vocab; ++v) row[static_cast<std::size_t>(v)] = logits(length - 1, v);
    const auto next = generate::sample_token(row, o.temperature, o.top_k, rng.uniform(n));
    text.push_back(next);
    generated.push_back(next);
  }
  if (world_rank() == 0) std::cout << o.prompt << tokenizer->decode(generated) << std::endl;
  return 0;
}
}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  strata::kernels::ensure_blas_tuning(argc, argv);
  return strata::run_app("strata-generate", argc, argv, strata::run_generate);
}
