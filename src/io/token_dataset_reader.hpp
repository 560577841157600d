// Reading token files in parallel: validation on every rank (agreed before
// any collective), then a collective MPI-IO open and independent reads.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5/h5_handle.hpp"
#include "io/token_dataset.hpp"

namespace strata::io {

// What the model needs from its data; empty/zero fields are not checked.
struct TokenFileExpectation {
  std::string tokenizer;            // e.g. "gpt2-bpe"
  std::uint64_t vocab_size = 0;     // the model's [model] vocab_size
  std::string tokenizer_vocab;      // char tokenizers: the exact vocabulary
  std::uint64_t block_size = 0;     // every split used needs block_size + 1 tokens
  bool need_val = true;             // false when no evaluation will run
  std::string key = "[data] path";  // how the user named the file
};

// Opens path on this process only and checks the format: readable HDF5,
// /tokens present, 1-D unsigned 16/32-bit matching vocab_size, every
// attribute present and consistent. Returns the attributes. Throws input
// Errors whose subject is "<key> = <path>" and whose fix says what to do.
TokenFileInfo inspect_token_file(const std::string& path, const std::string& key = "[data] path");

// Checks info against what the model expects (tokenizer, vocabulary, split
// lengths); same kind of errors as inspect_token_file.
void check_token_file(const TokenFileInfo& info, const TokenFileExpectation& expect,
                      const std::string& path);

class TokenDataset {
 public:
  // Collective over comm. Every rank inspects and checks the file, the ranks
  // agree on the outcome (strata::agree_on_success), and only then is the
  // file opened collectively; so a bad file is one clear error, not a hang.
  static TokenDataset open(MPI_Comm comm, const std::string& path,
                           const TokenFileExpectation& expect);

  const TokenFileInfo& info() const { return info_; }
  const std::string& path() const { return path_; }
  TokenRange range(TokenSplit split) const { return info_.range(split); }

  // Reads the union of runs (sorted, disjoint, inside /tokens) into out,
  // run after run, with one independent H5Dread. Not collective: each rank
  // reads only what it asks for, whenever it asks.
  void read_runs(const std::vector<TokenRange>& runs, std::vector<std::uint32_t>& out) const;

  // The file is closed collectively when the last rank of comm destroys its
  // TokenDataset; destroy it on all ranks.
 private:
  TokenDataset() = default;

  std::string path_;
  TokenFileInfo info_;
  h5::File file_;
  h5::Dataset tokens_;
  h5::PropertyList transfer_;
};

}  // namespace strata::io
