// Validation of token files against the format and against the model: every
// way a data file can be wrong becomes an input Error with the fix.
#include <cmath>

#include "core/error.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"
#include "io/token_dataset_reader.hpp"

namespace strata::io {
namespace {

const char* kRerun =
    "rerun strata-prep to make the token file (strata-prep --input <text> "
    "--output <file.h5> --tokenizer gpt2|char)";

std::string subject_of(const std::string& key, const std::string& path) {
  return key + " = " + path;
}

}  // namespace

TokenFileInfo inspect_token_file(const std::string& path, const std::string& key) {
  const std::string subject = subject_of(key, path);
  h5::require_hdf5_file(path, subject, kRerun);
  h5::File file = h5::open_serial(path);
  const hid_t root = file.id();

  if (STRATA_CHECK_H5(H5Lexists(root, kTokensDataset, H5P_DEFAULT), path) <= 0)
    throw Error("has no /tokens dataset, so it is not a strata-prep token file", subject, kRerun);
  static const char* kAttributes[] = {
      "format", "format_version", "tokenizer", "vocab_size",   "tokenizer_vocab",
      "source", "source_sha256",  "n_tokens",  "val_fraction", "train_tokens"};
  for (const char* name : kAttributes)
    if (!h5::has_attribute(root, name, path))
      throw Error(std::string("lacks the attribute '") + name + "' of a strata-prep token file",
                  subject, kRerun);
  const std::string format = h5::read_string_attribute(root, "format", path);
  if (format != kTokenFormat)
    throw Error("has format '" + format + "', not '" + kTokenFormat + "'", subject, kRerun);
  const std::uint64_t version = h5::read_uint_attribute(root, "format_version", path);
  if (version != kTokenFormatVersion)
    throw Error("has format_version " + std::to_string(version) + "; this build reads version " +
                    std::to_string(kTokenFormatVersion),
                subject, "use the Strata version that wrote it, or " + std::string(kRerun));

  TokenFileInfo info;
  info.tokenizer = h5::read_string_attribute(root, "tokenizer", path);
  info.vocab_size = h5::read_uint_attribute(root, "vocab_size", path);
  info.tokenizer_vocab = h5::read_string_attribute(root, "tokenizer_vocab", path);
  info.source = h5::read_string_attribute(root, "source", path);
  info.source_sha256 = h5::read_string_attribute(root, "source_sha256", path);
  info.n_tokens = h5::read_uint_attribute(root, "n_tokens", path);
  info.val_fraction = h5::read_double_attribute(root, "val_fraction", path);
  info.train_tokens = h5::read_uint_attribute(root, "train_tokens", path);

  h5::Dataset tokens(STRATA_CHECK_H5(H5Dopen2(root, kTokensDataset, H5P_DEFAULT), path));
  h5::Dataspace space(STRATA_CHECK_H5(H5Dget_space(tokens.id()), path));
  h5::Datatype type(STRATA_CHECK_H5(H5Dget_type(tokens.id()), path));
  const int rank = STRATA_CHECK_H5(H5Sget_simple_extent_ndims(space.id()), path);
  if (rank != 1)
    throw Error("/tokens has " + std::to_string(rank) + " dimensions; a token file has 1", subject,
                kRerun);
  hsize_t extent = 0;
  STRATA_CHECK_H5(H5Sget_simple_extent_dims(space.id(), &extent, nullptr), path);
  const bool is_unsigned =
      H5Tget_class(type.id()) == H5T_INTEGER && H5Tget_sign(type.id()) == H5T_SGN_NONE;
  const std::size_t bytes = H5Tget_size(type.id());
  if (info.vocab_size == 0 || !is_unsigned || bytes != info.token_bytes())
    throw Error("/tokens has " + std::string(is_unsigned ? "unsigned " : "non-unsigned ") +
                    std::to_string(8 * bytes) + "-bit elements, but vocab_size " +
                    std::to_string(info.vocab_size) + " needs uint" +
                    std::to_string(8 * info.token_bytes()),
                subject, kRerun);
  if (extent != info.n_tokens || info.n_tokens == 0)
    throw Error("/tokens holds " + std::to_string(extent) + " tokens but n_tokens says " +
                    std::to_string(info.n_tokens),
                subject, "the file was altered or cut short; " + std::string(kRerun));
  if (info.train_tokens > info.n_tokens || !(info.val_fraction >= 0.0 && info.val_fraction < 1.0))
    throw Error("has an inconsistent split: train_tokens " + std::to_string(info.train_tokens) +
                    " of n_tokens " + std::to_string(info.n_tokens) + ", val_fraction " +
                    std::to_string(info.val_fraction),
                subject, kRerun);
  return info;
}

void check_token_file(const TokenFileInfo& info, const TokenFileExpectation& expect,
                      const std::string& path) {
  const std::string subject = subject_of(expect.key, path);
  if (!expect.tokenizer.empty() && info.tokenizer != expect.tokenizer)
    throw Error("was made with tokenizer '" + info.tokenizer + "' but the model expects '" +
                    expect.tokenizer + "'",
                subject,
                "rerun strata-prep with --tokenizer " +
                    std::string(expect.tokenizer == "gpt2-bpe" ? "gpt2" : expect.tokenizer) +
                    ", or point " + expect.key + " at a file made with it");
  if (expect.vocab_size != 0 && info.vocab_size != expect.vocab_size)
    throw Error("has vocab_size " + std::to_string(info.vocab_size) +
                    " but the model's [model] vocab_size is " + std::to_string(expect.vocab_size),
                subject,
                "set [model] vocab_size = " + std::to_string(info.vocab_size) +
                    ", or rerun strata-prep with the tokenizer the model was built for");
  if (!expect.tokenizer_vocab.empty() && info.tokenizer_vocab != expect.tokenizer_vocab)
    throw Error("was made with a different '" + info.tokenizer + "' vocabulary (" +
                    std::to_string(info.tokenizer_vocab.size()) + " bytes) than the model's (" +
                    std::to_string(expect.tokenizer_vocab.size()) + " bytes)",
                subject,
                "rerun strata-prep on the text the model's vocabulary came from, or train a "
                "new model on this file");
  if (expect.block_size == 0) return;
  for (const TokenSplit split : {TokenSplit::train, TokenSplit::val}) {
    if (split == TokenSplit::val && !expect.need_val) continue;
    const std::uint64_t have = info.range(split).size();
    if (have >= expect.block_size + 1) continue;
    throw Error("its " + std::string(split_name(split)) + " split holds " + std::to_string(have) +
                    " tokens, fewer than [model] block_size + 1 = " +
                    std::to_string(expect.block_size + 1) + " needed for one sample",
                subject,
                have > 1
                    ? "lower [model] block_size to at most " + std::to_string(have - 1) +
                          ", or give strata-prep more text" +
                          (split == TokenSplit::val ? " or a larger --val-fraction" : "")
                    : std::string("give strata-prep more text") +
                          (split == TokenSplit::val ? " or a larger --val-fraction "
                                                      "(val_fraction = " +
                                                          std::to_string(info.val_fraction) + ")"
                                                    : ""));
  }
}

}  // namespace strata::io
