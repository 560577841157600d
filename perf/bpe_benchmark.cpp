// GPT-2 BPE encode throughput on ~3 MB of Brown corpus prose, one thread.
//   perf_bpe                        run the benchmarks (bytes/s = input text)
//   perf_bpe --write-text <file>    write the measured text, for bpe_node_speed.js
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iostream>

#include "io/tokenizer/char_tokenizer.hpp"
#include "io/tokenizer/gpt2_bpe.hpp"
#include "io/tokenizer/pretokenizer.hpp"
#include "test_text.hpp"

namespace {

using strata::io::Gpt2Bpe;

const std::string& brown_text() {
  static const std::string text = [] {
    std::string joined;
    for (const auto& doc : strata::test::brown_documents(3'000'000, 1)) joined += doc;
    return joined;
  }();
  return text;
}

const Gpt2Bpe& gpt2() {
  static const Gpt2Bpe bpe(strata::test::gpt2_encoder_dir());
  return bpe;
}

// Every iteration starts with an empty word cache, like a fresh process.
void BM_Gpt2EncodeColdCache(benchmark::State& state) {
  const std::string& text = brown_text();
  std::size_t tokens = 0;
  for (auto _ : state) {
    const Gpt2Bpe fresh = gpt2();  // shares the tables, not the cache
    const auto ids = fresh.encode(text);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}
BENCHMARK(BM_Gpt2EncodeColdCache)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The steady state of a long run: the cache already holds the vocabulary.
void BM_Gpt2EncodeWarmCache(benchmark::State& state) {
  const std::string& text = brown_text();
  benchmark::DoNotOptimize(gpt2().encode(text).data());
  for (auto _ : state) {
    const auto ids = gpt2().encode(text);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Gpt2EncodeWarmCache)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Pretokenize(benchmark::State& state) {
  const std::string& text = brown_text();
  for (auto _ : state) {
    std::size_t words = 0;
    for (std::size_t pos = 0; pos < text.size(); ++words) {
      pos = strata::io::pretoken_end(text, pos);
    }
    benchmark::DoNotOptimize(words);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Pretokenize)->Unit(benchmark::kMillisecond);

void BM_CharEncode(benchmark::State& state) {
  const std::string& text = brown_text();
  const auto tokenizer = strata::io::CharTokenizer::fit(text);
  for (auto _ : state) {
    const auto ids = tokenizer.encode(text);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_CharEncode)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-text") == 0) {
    std::ofstream(argv[2], std::ios::binary) << brown_text();
    std::cout << "wrote " << brown_text().size() << " bytes to " << argv[2] << "\n";
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
