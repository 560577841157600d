// Checkpoints under mpirun: any layout writes, any layout reads back bit for
// bit; the state round-trips; `latest` and atomic publishing; every way a
// file is refused, as one all-ranks error naming the file and the tensor.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "../support/mpi_world.hpp"
#include "checkpoint_test_support.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_reader.hpp"
#include "io/checkpoint/checkpoint_writer.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

using namespace testing;

using strata::testing::world_rank;
using strata::testing::world_size;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<SharedScratchDir>(MPI_COMM_WORLD, "ckpt");
    dir_ = scratch_->path();
  }
  void TearDown() override { scratch_.reset(); }

  // Writes step `step` of small_model() with rank r holding part r of P.
  std::string write(std::uint64_t step) {
    std::vector<TensorSlice> slices;
    for (const auto& spec : small_model())
      slices.push_back(part_of(spec.shape, world_rank(), world_size()));
    const auto buffers = make_buffers(small_model(), slices, true);
    return write_checkpoint(MPI_COMM_WORLD, dir_, sample_state(step), shards_of(buffers));
  }

  // Reads with slice_for(spec) on this rank and checks every element read.
  template <class SliceFor>
  CheckpointState read_and_check(const std::string& path, SliceFor slice_for,
                                 std::vector<TensorSpec> model = small_model()) {
    std::vector<TensorSlice> slices;
    for (const auto& spec : model) slices.push_back(slice_for(spec));
    auto buffers = make_buffers(model, slices, false);
    const CheckpointState state = read_checkpoint(MPI_COMM_WORLD, path, targets_of(buffers));
    const auto expected = make_buffers(model, slices, true);
    for (std::size_t t = 0; t < model.size(); ++t)
      for (int which = 0; which < 3; ++which)
        EXPECT_EQ(buffers[t].data[which], expected[t].data[which]) << model[t].name << " " << which;
    return state;
  }

  // The all-ranks error read_checkpoint throws for these targets.
  std::string read_error(const std::string& path, const std::vector<TensorSpec>& model) {
    std::vector<TensorSlice> slices;
    for (const auto& spec : model)
      slices.push_back(part_of(spec.shape, world_rank(), world_size()));
    auto buffers = make_buffers(model, slices, false);
    try {
      read_checkpoint(MPI_COMM_WORLD, path, targets_of(buffers));
    } catch (const Error& error) {
      EXPECT_EQ(error.scope(), ErrorScope::all_ranks) << error.what();
      if (world_rank() == 0) std::printf("  message: %s\n", error.what());
      return error.what();
    }
    return "(no error)";
  }

  std::unique_ptr<SharedScratchDir> scratch_;
  std::string dir_;
};

TEST_F(Checkpoint, AnyLayoutReadsWhatAnyLayoutWrote) {
  const std::string path = write(10);
  EXPECT_EQ(path, dir_ + "/step-10.h5");
  // One rank reads everything, the others nothing.
  read_and_check(path, [](const TensorSpec& s) {
    return world_rank() == 0 ? part_of(s.shape, 0, 1) : TensorSlice::contiguous(s.shape, 0, 0);
  });
  // Each rank reads the part another rank wrote.
  read_and_check(path, [](const TensorSpec& s) {
    return part_of(s.shape, world_size() - 1 - world_rank(), world_size());
  });
  // Every rank reads the whole tensor (plain data parallelism).
  read_and_check(path, [](const TensorSpec& s) { return part_of(s.shape, 0, 1); });
  // Thirds, which cut rows and planes where the writer did not.
  read_and_check(path, [](const TensorSpec& s) { return part_of(s.shape, world_rank() % 3, 3); });
}

TEST_F(Checkpoint, EveryFlatRangeOfA3dTensor) {
  // 25 tensors of shape {2, 3, 4}; read k gives tensor e the range [k, e)
  // (empty when e <= k), so 25 collective reads cover all 300 non-empty ranges.
  std::vector<TensorSpec> model;
  for (int e = 0; e <= 24; ++e) model.push_back({"cube" + std::to_string(e), {2, 3, 4}});
  std::vector<TensorSlice> parts;
  for (const auto& spec : model) parts.push_back(part_of(spec.shape, world_rank(), world_size()));
  const auto buffers = make_buffers(model, parts, true);
  const std::string path =
      write_checkpoint(MPI_COMM_WORLD, dir_, sample_state(1), shards_of(buffers));
  for (std::uint64_t begin = 0; begin <= 24; ++begin)
    read_and_check(
        path,
        [&](const TensorSpec& s) {
          const std::uint64_t end = std::stoull(s.name.substr(4));
          return TensorSlice::contiguous(s.shape, begin, end > begin ? end - begin : 0);
        },
        model);
}

TEST_F(Checkpoint, SpecialValuesSurviveBitForBit) {
  const std::uint32_t bits[] = {0x80000000u, 0x00000001u, 0x7fc12345u, 0xff800000u,
                                0x7f7fffffu, 0x3f800001u, 0x7fa00000u, 0xdeadbeefu};
  std::vector<float> values(8);
  std::memcpy(values.data(), bits, sizeof bits);
  const TensorSlice all = TensorSlice::contiguous({2, 4}, 0, world_rank() == 0 ? 8u : 0u);
  write_checkpoint(MPI_COMM_WORLD, dir_, sample_state(3),
                   {{"odd", all, values.data(), values.data(), values.data()}});
  std::vector<float> back(8, 1.0f), m(8), v(8);
  read_checkpoint(
      MPI_COMM_WORLD, dir_ + "/step-3.h5",
      {{"odd", TensorSlice::contiguous({2, 4}, 0, 8), back.data(), m.data(), v.data()}});
  EXPECT_EQ(std::memcmp(back.data(), bits, sizeof bits), 0);
}

TEST_F(Checkpoint, StateRoundTripsAndLatestPointsAtTheNewest) {
  write(10);
  const std::string path = write(20);
  const CheckpointState expected = sample_state(20);
  const CheckpointState state = read_and_check(
      path, [](const TensorSpec& s) { return part_of(s.shape, world_rank(), world_size()); });
  for (const CheckpointState& got : {state, read_checkpoint_state(path)}) {
    EXPECT_EQ(got.step, expected.step);
    EXPECT_EQ(got.optimizer_step, expected.optimizer_step);
    EXPECT_EQ(got.rng_seed, expected.rng_seed);
    EXPECT_EQ(got.rng_counters, expected.rng_counters);
    EXPECT_EQ(got.data_step, expected.data_step);
    EXPECT_EQ(got.sample_cursor, expected.sample_cursor);
    EXPECT_EQ(got.config, expected.config);
  }
  EXPECT_EQ(slurp(dir_ + "/latest"), "step-20.h5\n");
  EXPECT_EQ(resolve_resume(dir_, "latest"), path);
  EXPECT_EQ(resolve_resume(dir_, dir_ + "/step-10.h5"), dir_ + "/step-10.h5");
  EXPECT_EQ(resolve_resume(dir_, ""), std::nullopt);
}

TEST_F(Checkpoint, ACrashMidWriteLeavesThePreviousCheckpoint) {
  const std::string good = write(10);
  const std::string before = slurp(good);
  MPI_Barrier(MPI_COMM_WORLD);
  // What a killed writer leaves: a partial step-20.h5.tmp, never renamed.
  if (world_rank() == 0)
    std::ofstream(dir_ + "/step-20.h5.tmp", std::ios::binary)
        << before.substr(0, before.size() / 2);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(resolve_resume(dir_, "latest"), good);
  read_and_check(good, [](const TensorSpec& s) { return part_of(s.shape, 0, 1); });
  // The next writer overwrites the leftover and publishes normally.
  write(20);
  EXPECT_EQ(resolve_resume(dir_, "latest"), dir_ + "/step-20.h5");
  EXPECT_EQ(slurp(good), before);
}

TEST_F(Checkpoint, RefusedFilesNameTheFileAndTheTensor) {
  const std::string path = write(5);
  EXPECT_HAS(read_error(dir_ + "/step-99.h5", small_model()), "step-99.h5: file does not exist");
  if (world_rank() == 0) std::ofstream(dir_ + "/notes.h5") << "not hdf5";
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_HAS(read_error(dir_ + "/notes.h5", small_model()), "is not an HDF5 file");
  if (world_rank() == 0) {
    h5::File other = h5::create_serial(dir_ + "/tokens.h5");
    h5::write_attribute(other.id(), "format", std::string("strata-tokens"), dir_ + "/tokens.h5");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_HAS(read_error(dir_ + "/tokens.h5", small_model()),
             "is a 'strata-tokens' file, not a Strata checkpoint");

  auto model = small_model();
  model.push_back({"h.1/mlp.weight", {4, 4}});
  std::string text = read_error(path, model);
  EXPECT_HAS(text, path + ": has no tensor 'model/h.1/mlp.weight', which this model needs");
  EXPECT_HAS(text, "fix: the checkpoint was written for a different model");

  model = small_model();
  model[0].shape = {5, 7};
  EXPECT_HAS(read_error(path, model),
             "tensor 'model/wte.weight' has shape [7, 5]; this model needs [5, 7]");

  model = small_model();
  model.erase(model.begin() + 2);
  EXPECT_HAS(read_error(path, model),
             "holds tensor 'model/ln_f.bias', which this model does not have");
}

TEST_F(Checkpoint, WriterRefusesBadDirectoriesAndBadSlices) {
  if (world_rank() == 0) std::ofstream(dir_ + "/file") << "x";
  MPI_Barrier(MPI_COMM_WORLD);
  const auto buffers = make_buffers(
      small_model(),
      [] {
        std::vector<TensorSlice> s;
        for (const auto& spec : small_model())
          s.push_back(part_of(spec.shape, world_rank(), world_size()));
        return s;
      }(),
      true);
  auto error_of = [&](const std::string& dir, std::vector<ParameterShard> shards) -> std::string {
    try {
      write_checkpoint(MPI_COMM_WORLD, dir, sample_state(1), shards);
    } catch (const Error& error) {
      EXPECT_EQ(error.scope(), ErrorScope::all_ranks) << error.what();
      return error.what();
    }
    return "(no error)";
  };
  EXPECT_HAS(error_of(dir_ + "/file/ckpt", shards_of(buffers)),
             "[checkpoint] dir = " + dir_ + "/file/ckpt");
  // Every rank claims the whole of one tensor: overlap (or, alone, a gap).
  auto shards = shards_of(buffers);
  shards[2].slice = TensorSlice::contiguous({9}, 0, world_size() == 1 ? 4 : 9);
  std::vector<float> big(9, 1.0f);
  shards[2].param = shards[2].exp_avg = shards[2].exp_avg_sq = big.data();
  EXPECT_HAS(error_of(dir_, shards), "tensor 'ln_f.bias': the ranks' slices hold");
  shards = shards_of(buffers);
  shards[0].slice.runs.back().count += 100;
  EXPECT_HAS(error_of(dir_, shards), "exceeds its 35 elements");
  if (world_size() > 1) {
    shards = shards_of(buffers);
    shards[3].name = world_rank() == 0 ? "scale" : "scale2";
    EXPECT_HAS(error_of(dir_, shards), "the ranks passed different tensors or checkpoint state");
  }
  EXPECT_FALSE(std::ifstream(dir_ + "/step-1.h5").good());
}

}  // namespace
}  // namespace strata::io
