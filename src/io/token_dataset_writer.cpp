// The token file writer: contiguous 1-D /tokens plus attributes, published
// with tmp + fsync + rename so readers never see a half-written file.
#include "io/token_dataset.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/atomic_file.hpp"
#include "core/check.hpp"
#include "core/error.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

// Removes the temporary file unless the rename went through.
struct TemporaryFile {
  std::string path;
  bool published = false;
  ~TemporaryFile() {
    if (!published) std::remove(path.c_str());
  }
};

template <class Stored>
void write_tokens(hid_t dataset, hid_t memory_type, const std::vector<std::uint32_t>& tokens,
                  const std::string& path) {
  std::vector<Stored> stored(tokens.begin(), tokens.end());
  STRATA_CHECK_H5(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, stored.data()),
                  path);
}

}  // namespace

const char* split_name(TokenSplit split) { return split == TokenSplit::train ? "train" : "val"; }

TokenRange TokenFileInfo::range(TokenSplit split) const {
  return split == TokenSplit::train ? TokenRange{0, train_tokens}
                                    : TokenRange{train_tokens, n_tokens};
}

void require_writable_output(const std::string& path, const std::string& option) {
  const std::string subject = option + " " + path;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    throw_input_error(subject, "is a directory", "give a file name, e.g. " + path + "/tokens.h5");
  const std::string dir = directory_of(path);
  if (::stat(dir.c_str(), &info) != 0) {
    const int saved = errno;
    throw_input_error(subject, "its directory " + dir + " cannot be used: " + std::strerror(saved),
                      "create the directory first (mkdir -p " + dir + ") or choose another path");
  }
  if (!S_ISDIR(info.st_mode))
    throw_input_error(subject, dir + " is not a directory", "choose a path inside a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    const int saved = errno;
    throw_input_error(subject, "cannot write in " + dir + ": " + std::strerror(saved),
                      "choose a directory you can write to, or fix its permissions");
  }
}

void write_token_file(const std::string& path, const std::vector<std::uint32_t>& tokens,
                      const TokenFileInfo& info) {
  if (info.n_tokens != tokens.size() || info.train_tokens > info.n_tokens || tokens.empty())
    throw STRATA_ERROR("token counts disagree: n_tokens " + std::to_string(info.n_tokens) +
                           ", tokens " + std::to_string(tokens.size()) + ", train_tokens " +
                           std::to_string(info.train_tokens),
                       path, "this is a bug in Strata; please report it");
  for (const std::uint32_t id : tokens)
    if (id >= info.vocab_size)
      throw STRATA_ERROR("token id " + std::to_string(id) + " is outside the vocabulary of " +
                             std::to_string(info.vocab_size),
                         path, "this is a bug in the tokenizer; please report it");

  TemporaryFile temporary{path + ".tmp-" + std::to_string(::getpid())};
  {
    h5::File file = h5::create_serial(temporary.path);
    const hsize_t extent = tokens.size();
    h5::Dataspace space(STRATA_CHECK_H5(H5Screate_simple(1, &extent, nullptr), temporary.path));
    // No chunking or filters: a contiguous dataset is one byte range, so a
    // sample is one plain MPI-IO read at a computable file offset.
    h5::PropertyList create(STRATA_CHECK_H5(H5Pcreate(H5P_DATASET_CREATE), temporary.path));
    STRATA_CHECK_H5(H5Pset_layout(create.id(), H5D_CONTIGUOUS), temporary.path);
    // No modification times in the object header: the same text and options
    // give a byte-identical file.
    STRATA_CHECK_H5(H5Pset_obj_track_times(create.id(), false), temporary.path);
    const bool narrow = info.token_bytes() == 2;
    h5::Dataset dataset(STRATA_CHECK_H5(
        H5Dcreate2(file.id(), kTokensDataset, narrow ? H5T_STD_U16LE : H5T_STD_U32LE, space.id(),
                   H5P_DEFAULT, create.id(), H5P_DEFAULT),
        temporary.path));
    if (narrow)
      write_tokens<std::uint16_t>(dataset.id(), H5T_NATIVE_UINT16, tokens, temporary.path);
    else
      write_tokens<std::uint32_t>(dataset.id(), H5T_NATIVE_UINT32, tokens, temporary.path);

    const hid_t root = file.id();
    const std::string& at = temporary.path;
    h5::write_attribute(root, "format", std::string(kTokenFormat), at);
    h5::write_attribute(root, "format_version", kTokenFormatVersion, at);
    h5::write_attribute(root, "tokenizer", info.tokenizer, at);
    h5::write_attribute(root, "vocab_size", info.vocab_size, at);
    h5::write_attribute(root, "tokenizer_vocab", info.tokenizer_vocab, at);
    h5::write_attribute(root, "source", info.source, at);
    h5::write_attribute(root, "source_sha256", info.source_sha256, at);
    h5::write_attribute(root, "n_tokens", info.n_tokens, at);
    h5::write_attribute(root, "val_fraction", info.val_fraction, at);
    h5::write_attribute(root, "train_tokens", info.train_tokens, at);
    dataset.close(at);
    STRATA_CHECK_H5(H5Fflush(root, H5F_SCOPE_GLOBAL), at);
    file.close(at);
  }
  fsync_file(temporary.path);
  STRATA_CHECK_SYS(std::rename(temporary.path.c_str(), path.c_str()), path);
  temporary.published = true;
  fsync_directory(directory_of(path));  // makes the rename durable
}

}  // namespace strata::io
