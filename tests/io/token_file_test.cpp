// Token files: the writer's output, and every way the reader refuses a file,
// checked on every rank (an error must reach all ranks, never a hang).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"
#include "io/token_dataset_reader.hpp"
#include "io_test_support.hpp"

namespace strata::io {
namespace {

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<testing::SharedScratchDir>(MPI_COMM_WORLD, "tokfile");
    dir_ = scratch_->path();
  }
  void TearDown() override { scratch_.reset(); }

  // Rank 0 writes; everyone waits for it.
  std::string write(const std::string& name, std::uint64_t n, std::uint64_t train,
                    std::uint64_t vocab, const std::string& tokenizer = "gpt2-bpe") {
    const std::string path = dir_ + "/" + name;
    if (rank() == 0)
      write_token_file(path, testing::pattern_tokens(n, vocab),
                       testing::test_info(n, train, vocab, tokenizer));
    MPI_Barrier(MPI_COMM_WORLD);
    return path;
  }

  // The message of the Error open() throws, "" if it opened.
  std::string open_error(const std::string& path, const TokenFileExpectation& expect) {
    try {
      TokenDataset::open(MPI_COMM_WORLD, path, expect);
    } catch (const Error& error) {
      EXPECT_EQ(error.scope(), ErrorScope::all_ranks);
      if (rank() == 0) std::printf("  message: %s\n", error.what());  // what a user would read
      return error.what();
    }
    return "";
  }

  std::unique_ptr<testing::SharedScratchDir> scratch_;
  std::string dir_;
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(TokenFile, WriterRoundTripsAttributesAndPicksTheDtype) {
  const std::string narrow = write("narrow.h5", 1000, 900, 65536);
  const std::string wide = write("wide.h5", 1000, 900, 65537);
  const TokenFileInfo info = inspect_token_file(narrow);
  EXPECT_EQ(info.tokenizer, "gpt2-bpe");
  EXPECT_EQ(info.vocab_size, 65536u);
  EXPECT_EQ(info.n_tokens, 1000u);
  EXPECT_EQ(info.train_tokens, 900u);
  EXPECT_EQ(info.tokenizer_vocab, "");
  EXPECT_DOUBLE_EQ(info.val_fraction, 0.1);
  EXPECT_EQ(info.range(TokenSplit::val).begin, 900u);
  for (const auto& [path, bytes] : {std::pair{narrow, 2u}, std::pair{wide, 4u}}) {
    h5::File file = h5::open_serial(path);
    h5::Dataset tokens(STRATA_CHECK_H5(H5Dopen2(file.id(), "tokens", H5P_DEFAULT), path));
    h5::Datatype type(STRATA_CHECK_H5(H5Dget_type(tokens.id()), path));
    EXPECT_EQ(H5Tget_size(type.id()), bytes);
    h5::PropertyList create(STRATA_CHECK_H5(H5Dget_create_plist(tokens.id()), path));
    EXPECT_EQ(H5Pget_layout(create.id()), H5D_CONTIGUOUS);
    EXPECT_EQ(h5::read_string_attribute(file.id(), "format", path), "strata-tokens");
  }
  const TokenDataset data = TokenDataset::open(MPI_COMM_WORLD, wide, {});
  std::vector<std::uint32_t> got;
  data.read_runs({{0, 3}, {997, 1000}}, got);
  const auto expected = testing::pattern_tokens(1000, 65537);
  EXPECT_EQ(got, (std::vector<std::uint32_t>{expected[0], expected[1], expected[2], expected[997],
                                             expected[998], expected[999]}));
}

TEST_F(TokenFile, WriterLeavesNoTemporaryAndReplacesOldFiles) {
  const std::string path = write("again.h5", 100, 90, 50);
  write("again.h5", 200, 180, 50);
  EXPECT_EQ(inspect_token_file(path).n_tokens, 200u);
  if (rank() == 0) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
      EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
    EXPECT_THROW(write_token_file(dir_ + "/bad.h5", {1, 2, 60}, testing::test_info(3, 2, 50)),
                 Error);
  }
}

TEST_F(TokenFile, MissingFile) {
  const std::string message = open_error(dir_ + "/nothing.h5", {});
  EXPECT_HAS(message, "[data] path = " + dir_ + "/nothing.h5");
  EXPECT_HAS(message, "does not exist");
  EXPECT_HAS(message, "fix:");
}

TEST_F(TokenFile, NotAnHdf5File) {
  const std::string path = dir_ + "/text.h5";
  if (rank() == 0) testing::write_text(path, "just some text, not HDF5\n");
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string message = open_error(path, {});
  EXPECT_HAS(message, path);
  EXPECT_HAS(message, "not an HDF5 file");
  EXPECT_HAS(message, "rerun strata-prep");
}

TEST_F(TokenFile, Hdf5WithoutTokens) {
  const std::string path = dir_ + "/other.h5";
  if (rank() == 0) {
    h5::File file = h5::create_serial(path);
    h5::write_attribute(file.id(), "format", std::string("something else"), path);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string message = open_error(path, {});
  EXPECT_HAS(message, "no /tokens dataset");
  EXPECT_HAS(message, "rerun strata-prep");
}

TEST_F(TokenFile, VocabMismatchNamesBothSizes) {
  const std::string path = write("char.h5", 500, 450, 65, "char");
  TokenFileExpectation expect;
  expect.vocab_size = 50257;
  const std::string message = open_error(path, expect);
  EXPECT_HAS(message, "vocab_size 65");
  EXPECT_HAS(message, "[model] vocab_size is 50257");
  EXPECT_HAS(message, "set [model] vocab_size = 65");
}

TEST_F(TokenFile, TokenizerMismatchNamesBoth) {
  const std::string path = write("char2.h5", 500, 450, 65, "char");
  TokenFileExpectation expect;
  expect.tokenizer = "gpt2-bpe";
  const std::string message = open_error(path, expect);
  EXPECT_HAS(message, "'char'");
  EXPECT_HAS(message, "'gpt2-bpe'");
  EXPECT_HAS(message, "--tokenizer gpt2");
}

TEST_F(TokenFile, SplitTooShortForBlockSize) {
  const std::string path = write("short.h5", 1000, 950, 100);
  TokenFileExpectation expect;
  expect.block_size = 64;
  const std::string message = open_error(path, expect);
  EXPECT_HAS(message, "[data] path = " + path);
  EXPECT_HAS(message, "val split holds 50 tokens");
  EXPECT_HAS(message, "block_size + 1 = 65");
  EXPECT_HAS(message, "lower [model] block_size to at most 49");
  expect.need_val = false;
  EXPECT_EQ(open_error(path, expect), "");
  expect.block_size = 2000;
  EXPECT_HAS(open_error(path, expect), "train split holds 950 tokens");
}

TEST_F(TokenFile, AttributeMissing) {
  const std::string path = dir_ + "/bare.h5";
  if (rank() == 0) {
    h5::File file = h5::create_serial(path);
    const hsize_t n = 10;
    h5::Dataspace space(STRATA_CHECK_H5(H5Screate_simple(1, &n, nullptr), path));
    h5::Dataset(STRATA_CHECK_H5(H5Dcreate2(file.id(), "tokens", H5T_STD_U16LE, space.id(),
                                           H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                path));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_HAS(open_error(path, {}), "lacks the attribute 'format'");
}

TEST_F(TokenFile, OneRankMissingTheFileFailsEveryRank) {
  const std::string good = write("good.h5", 100, 90, 50);
  const std::string path = rank() == 0 ? good : dir_ + "/only-rank-0-sees-it.h5";
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string message = open_error(path, {});
  if (size == 1) {
    EXPECT_EQ(message, "");
  } else {
    EXPECT_HAS(message, "does not exist");
    EXPECT_HAS(message, "(seen on rank 1)");
  }
}

TEST_F(TokenFile, TruncatedFileNamesTheFailedCallAndHdf5sReason) {
  const std::string path = write("cut.h5", 100000, 90000, 50);
  if (rank() == 0) std::filesystem::resize_file(path, 100000);  // half of the tokens
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string message = open_error(path, {});
  EXPECT_HAS(message, path);
  EXPECT_HAS(message, "H5Fopen");
  EXPECT_HAS(message, "truncated");
  EXPECT_HAS(message, "rerun strata-prep");
}

TEST_F(TokenFile, CheckedCallNamesCallFileAndHdf5Message) {
  const std::string path = write("checked.h5", 10, 9, 50);
  h5::File file = h5::open_serial(path);
  try {
    STRATA_CHECK_H5(H5Dopen2(file.id(), "no_such_dataset", H5P_DEFAULT), path);
    FAIL() << "H5Dopen2 of a missing dataset succeeded";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_HAS(message, "H5Dopen2");
    EXPECT_HAS(message, path);
    EXPECT_HAS(message, "not found");  // HDF5's innermost message
  }
}

}  // namespace
}  // namespace strata::io
