// The checkpoint format ("strata-checkpoint" v1): what one step-N.h5 holds,
// the per-rank slice types the writer and reader take, and the checkpoint
// directory (naming, the `latest` pointer, resume resolution).
//
// File layout (every tensor at its full logical shape, fp32, row-major):
//   /                   attrs format, format_version, step, config, config_sha256
//   /model/<name>       parameter
//   /optimizer/<name>/exp_avg, exp_avg_sq      Adam moments; /optimizer attrs step and
//                       one double per optimizer scalar (the loss scaler's)
//   /rng                attrs seed and one uint64 per named counter
//   /data               attrs step, sample_cursor
// Names may contain '/', which nests groups; docs/checkpoints.md has the rest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strata::io {

inline constexpr const char* kCheckpointFormat = "strata-checkpoint";
inline constexpr std::uint64_t kCheckpointFormatVersion = 1;

// A run [offset, offset + count) of a tensor's row-major flattened elements.
struct FlatRun {
  std::uint64_t offset = 0;
  std::uint64_t count = 0;
};

// This rank's part of one logical tensor: runs of its row-major flattened
// elements, disjoint and in increasing order, held back to back in the
// rank's buffers. HDF5 moves a selection in row-major file order, so that is
// the only order in which a buffer can line up with its runs (checked).
// Most parts are one run: a ZeRO partition, a slice of rows, everything
// ({0, numel}), or nothing (no runs; the rank still takes part). A
// tensor-parallel block is several: each row's columns for a row-parallel
// weight, the Q, K and V rows for a fused QKV weight.
struct TensorSlice {
  std::vector<std::uint64_t> shape;  // logical shape; at least one dimension
  std::vector<FlatRun> runs;

  // The one-run slice [offset, offset + count) (no runs when count is 0).
  static TensorSlice contiguous(std::vector<std::uint64_t> shape, std::uint64_t offset,
                                std::uint64_t count);
  std::uint64_t numel() const;  // of the logical tensor
  std::uint64_t count() const;  // held by this rank: the runs' counts summed
};

// One parameter and its Adam moments, as this rank holds them: three buffers
// of slice.count() floats each (host memory), the runs back to back.
template <class Float>
struct BasicParameterShard {
  std::string name;  // e.g. "h.0.attn.c_attn.weight"
  TensorSlice slice;
  Float* param = nullptr;
  Float* exp_avg = nullptr;
  Float* exp_avg_sq = nullptr;
};
using ParameterShard = BasicParameterShard<const float>;  // what write_checkpoint stores
using ParameterTarget = BasicParameterShard<float>;       // where read_checkpoint loads

// Everything besides the tensors that a resume needs to continue the same
// trajectory. Must be identical on every rank.
struct CheckpointState {
  std::uint64_t step = 0;            // optimizer steps completed = index of the next step
  std::uint64_t optimizer_step = 0;  // Adam's t for bias correction (fp16 skips don't count)
  std::uint64_t rng_seed = 0;
  std::map<std::string, std::uint64_t> rng_counters;  // named stream positions, e.g. "dropout"
  // Optimizer state that is neither a tensor nor Adam's t, by name: the fp16
  // loss scaler's scale and counters. Stored as /optimizer attributes.
  std::map<std::string, double> optimizer_scalars;
  std::uint64_t data_step = 0;      // the sampler's next global batch
  std::uint64_t sample_cursor = 0;  // samples consumed so far
  std::string config;               // config.resolved.ini text of the run that wrote it
};

// <dir>/step-<step>.h5
std::string checkpoint_path(const std::string& dir, std::uint64_t step);

// Creates dir (and its parents) if missing, then checks that this process
// can create files in it. Input errors name the directory and the key
// ([checkpoint] dir). Pure POSIX: no MPI.
void prepare_checkpoint_dir(const std::string& dir);
void require_writable_checkpoint_dir(const std::string& dir);

// The checkpoint a run should resume from, given [checkpoint] dir and
// resume. Empty resume: none. "latest": the file named by <dir>/latest (or,
// if that pointer is missing, the highest step-N.h5 in dir); none at all is
// a fresh start, so one batch script can both start and continue a run. A
// path: that file, which must exist and be HDF5. Errors name the file. Local
// (no MPI): call it on every rank inside agree_on_success.
std::optional<std::string> resolve_resume(const std::string& dir, const std::string& resume);

}  // namespace strata::io
