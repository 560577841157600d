// Slices of several runs under mpirun: tensor-parallel blocks (column blocks,
// fused QKV rows, last-dimension blocks of a 3-D tensor) and ZeRO-style
// pieces that start and end inside runs, written by all ranks into one file;
// the file read whole by plain HDF5 is the logical tensor, any layout reads
// it back, and slices that do not tile or are out of order are refused.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "../support/mpi_world.hpp"
#include "checkpoint_test_support.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_reader.hpp"
#include "io/checkpoint/checkpoint_writer.hpp"
#include "io/checkpoint/impl/run_selection.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

using namespace testing;

using strata::testing::world_rank;
using strata::testing::world_size;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

// Maximal runs of a set of logical indices.
TensorSlice slice_of_indices(const std::vector<std::uint64_t>& shape,
                             std::vector<std::uint64_t> indices) {
  std::sort(indices.begin(), indices.end());
  TensorSlice slice{shape, {}};
  for (const std::uint64_t i : indices) {
    if (!slice.runs.empty() && slice.runs.back().offset + slice.runs.back().count == i)
      ++slice.runs.back().count;
    else
      slice.runs.push_back({i, 1});
  }
  return slice;
}

// Indices of a 2-D [rows, cols] tensor's columns [col0, col0 + width), in
// row-major order: a row-parallel (or last-dimension) block.
std::vector<std::uint64_t> column_block(std::uint64_t rows, std::uint64_t cols, std::uint64_t col0,
                                        std::uint64_t width) {
  std::vector<std::uint64_t> indices;
  for (std::uint64_t r = 0; r < rows; ++r)
    for (std::uint64_t c = col0; c < col0 + width; ++c) indices.push_back(r * cols + c);
  return indices;
}

// Rank r's part of each test tensor out of `parts` ranks (r < parts).
std::vector<TensorSpec> tp_model() {
  return {{"col_block", {6, 8}}, {"qkv.weight", {12, 4}}, {"qkv.bias", {12}},
          {"ragged", {5, 12}},   {"cube", {3, 4, 8}},     {"ln.weight", {9}}};
}

std::vector<TensorSlice> tp_slices(int r, int parts) {
  const auto P = static_cast<std::uint64_t>(parts), R = static_cast<std::uint64_t>(r);
  std::vector<TensorSlice> slices;
  slices.push_back(slice_of_indices({6, 8}, column_block(6, 8, R * 8 / P, 8 / P)));
  // Fused QKV: the rank's rows of each of the three parts (4 rows each).
  std::vector<std::uint64_t> rows;
  for (std::uint64_t part = 0; part < 3; ++part)
    for (std::uint64_t row = part * 4 + R * 4 / P; row < part * 4 + (R + 1) * 4 / P; ++row)
      rows.push_back(row);
  std::vector<std::uint64_t> weight, bias = rows;
  for (const auto row : rows)
    for (std::uint64_t c = 0; c < 4; ++c) weight.push_back(row * 4 + c);
  slices.push_back(slice_of_indices({12, 4}, weight));
  slices.push_back(slice_of_indices({12}, bias));
  // Two column blocks of 6, each cut into `parts` pieces of its 30 elements
  // at points inside rows; rank r holds piece r of block 0 and piece
  // parts-1-r of block 1, so its runs start and end mid-row.
  auto piece = [&](std::uint64_t block, std::uint64_t k) {
    const auto all = column_block(5, 12, block * 6, 6);
    auto cut = [&](std::uint64_t j) { return j * 30 / P + (j > 0 && j < P ? 1 : 0); };
    return std::vector<std::uint64_t>(all.begin() + cut(k), all.begin() + cut(k + 1));
  };
  auto ragged = piece(0, R);
  const auto other = piece(1, P - 1 - R);
  ragged.insert(ragged.end(), other.begin(), other.end());
  slices.push_back(slice_of_indices({5, 12}, ragged));
  // The last dimension's block of every (plane, row): 12 runs across planes.
  slices.push_back(slice_of_indices({3, 4, 8}, column_block(12, 8, R * 8 / P, 8 / P)));
  slices.push_back(part_of({9}, r, parts));
  return slices;
}

class MultiRunCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<SharedScratchDir>(MPI_COMM_WORLD, "ckpt-runs");
    dir_ = scratch_->path();
  }
  void TearDown() override { scratch_.reset(); }

  std::string write_tp(std::uint64_t step) {
    const auto buffers = make_buffers(tp_model(), tp_slices(world_rank(), world_size()), true);
    return write_checkpoint(MPI_COMM_WORLD, dir_, sample_state(step), shards_of(buffers));
  }

  void read_and_check(const std::string& path, const std::vector<TensorSlice>& slices) {
    auto buffers = make_buffers(tp_model(), slices, false);
    read_checkpoint(MPI_COMM_WORLD, path, targets_of(buffers));
    const auto expected = make_buffers(tp_model(), slices, true);
    for (std::size_t t = 0; t < slices.size(); ++t)
      for (int which = 0; which < 3; ++which)
        EXPECT_EQ(buffers[t].data[which], expected[t].data[which])
            << tp_model()[t].name << " " << which;
  }

  std::string write_error(const std::vector<ParameterShard>& shards) {
    try {
      write_checkpoint(MPI_COMM_WORLD, dir_, sample_state(7), shards);
    } catch (const Error& error) {
      EXPECT_EQ(error.scope(), ErrorScope::all_ranks) << error.what();
      return error.what();
    }
    return "(no error)";
  }

  std::unique_ptr<SharedScratchDir> scratch_;
  std::string dir_;
};

TEST_F(MultiRunCheckpoint, TheFileHoldsTheLogicalTensors) {
  const std::string path = write_tp(1);
  if (world_rank() == 0) {  // plain HDF5, whole datasets: no slice or selection code of ours
    const h5::File file = h5::open_serial(path);
    const auto model = tp_model();
    for (std::size_t t = 0; t < model.size(); ++t) {
      for (int which = 0; which < 3; ++which) {
        const std::string name =
            which == 0 ? "model/" + model[t].name
                       : "optimizer/" + model[t].name + (which == 1 ? "/exp_avg" : "/exp_avg_sq");
        h5::Dataset set(H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT));
        ASSERT_GE(set.id(), 0) << name;
        std::vector<float> whole(numel(model[t].shape), -1.0f);
        ASSERT_GE(H5Dread(set.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, whole.data()),
                  0);
        for (std::uint64_t i = 0; i < whole.size(); ++i)
          ASSERT_EQ(whole[i], expected_value(t, i, which)) << name << " element " << i;
      }
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST_F(MultiRunCheckpoint, AnyLayoutReadsTheRunsBack) {
  const std::string path = write_tp(2);
  read_and_check(path, tp_slices(world_rank(), world_size()));  // as written
  read_and_check(path,
                 tp_slices(world_size() - 1 - world_rank(), world_size()));  // another rank's runs
  read_and_check(path, tp_slices(world_rank() % 2, 2));  // two TP ranks, replicated
  std::vector<TensorSlice> whole;
  for (const auto& spec : tp_model())
    whole.push_back(part_of(spec.shape, world_rank(), world_size()));
  read_and_check(path, whole);  // one run each, as a plain ZeRO partition
}

TEST_F(MultiRunCheckpoint, SlicesThatDoNotTileAreRefused) {
  const auto buffers = make_buffers(tp_model(), tp_slices(world_rank(), world_size()), true);
  // Rank 0 swaps its last column of col_block for rank 1's first: the count
  // still adds up, so only the index sum over the runs can see the overlap.
  auto shards = shards_of(buffers);
  std::vector<float> spare(6 * 8, 0.5f);
  if (world_rank() == 0) {
    const std::uint64_t width = 8 / static_cast<std::uint64_t>(world_size());
    auto indices = column_block(6, 8, 0, width - 1);
    for (std::uint64_t r = 0; r < 6; ++r) indices.push_back(r * 8 + width);
    shards[0].slice = slice_of_indices({6, 8}, indices);
  }
  EXPECT_HAS(write_error(shards),
             "tensor 'col_block': the ranks' slices hold 48 elements of 48 but "
             "overlap");
  // The last rank drops its final QKV run: a gap.
  shards = shards_of(buffers);
  if (world_rank() == world_size() - 1) shards[1].slice.runs.pop_back();
  EXPECT_HAS(write_error(shards), "tensor 'qkv.weight': the ranks' slices hold " +
                                      std::to_string(48 - 16 / world_size()) + " elements of 48");
  // Runs out of order cannot line up with the buffer.
  shards = shards_of(buffers);
  std::reverse(shards[0].slice.runs.begin(), shards[0].slice.runs.end());
  const std::string text = write_error(shards);
  EXPECT_HAS(text, "tensor 'col_block': run 1 [");
  EXPECT_HAS(text, "give a slice's runs in increasing logical order");
  EXPECT_FALSE(std::ifstream(dir_ + "/step-7.h5").good());
}

// A gpt2 row-parallel weight [768, 3072] at tp 4, whole and cut by ZeRO
// inside rows: its 768 runs must cost a handful of hyperslab calls, not 768
// (HDF5 would merge the boxes anyway, after 768 slow calls).
TEST(RunSelection, ARowParallelBlockIsOneStridedHyperslab) {
  const hsize_t dims[] = {768, 3072};
  h5::Dataspace space(H5Screate_simple(2, dims, nullptr));
  const auto block = column_block(768, 3072, 768, 768);
  const TensorSlice whole = slice_of_indices({768, 3072}, block);
  ASSERT_EQ(whole.runs.size(), 768u);
  EXPECT_EQ(checkpoint_impl::select_runs(space.id(), whole, "test"), 1u);
  EXPECT_EQ(H5Sget_select_npoints(space.id()), 768 * 768);
  hsize_t start[2], end[2];
  ASSERT_GE(H5Sget_select_bounds(space.id(), start, end), 0);
  EXPECT_EQ(start[0], 0u);
  EXPECT_EQ(start[1], 768u);
  EXPECT_EQ(end[0], 767u);
  EXPECT_EQ(end[1], 1535u);

  // A piece from the middle of row 100 to the middle of row 600: a partial
  // run at each end, and the whole rows between in one strided hyperslab.
  const std::vector<std::uint64_t> piece(block.begin() + 100 * 768 + 5,
                                         block.begin() + 600 * 768 + 7);
  const TensorSlice cut = slice_of_indices({768, 3072}, piece);
  EXPECT_EQ(checkpoint_impl::select_runs(space.id(), cut, "test"), 3u);
  EXPECT_EQ(H5Sget_select_npoints(space.id()), static_cast<hssize_t>(piece.size()));
  h5::Dataspace expected(H5Screate_simple(2, dims, nullptr));
  const hsize_t first[] = {100, 768 + 5}, first_count[] = {1, 768 - 5};
  const hsize_t middle[] = {101, 768}, middle_count[] = {499, 768};
  const hsize_t last[] = {600, 768}, last_count[] = {1, 7};
  H5Sselect_hyperslab(expected.id(), H5S_SELECT_SET, first, nullptr, first_count, nullptr);
  H5Sselect_hyperslab(expected.id(), H5S_SELECT_OR, middle, nullptr, middle_count, nullptr);
  H5Sselect_hyperslab(expected.id(), H5S_SELECT_OR, last, nullptr, last_count, nullptr);
  // Same selection: neither has a point the other lacks.
  h5::Dataspace both(H5Scombine_select(space.id(), H5S_SELECT_AND, expected.id()));
  EXPECT_EQ(H5Sget_select_npoints(both.id()), static_cast<hssize_t>(piece.size()));
}

}  // namespace
}  // namespace strata::io
