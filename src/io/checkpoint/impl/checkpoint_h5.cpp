// Shared checkpoint machinery: checked HDF5 calls, the checks of the shards,
// and the checks that every rank calls the collective HDF5 operations
// identically.
#include "io/checkpoint/impl/checkpoint_h5.hpp"

#include <algorithm>
#include <cctype>

#include "core/check.hpp"
#include "io/hdf5/h5_check.hpp"

namespace strata::io::checkpoint_impl {
namespace {

const char* const kFixCallerBug =
    "this is a bug in the code that built the shards; please report it";

// Sum of the indices offset .. offset + count - 1, modulo 2^64.
std::uint64_t index_sum(std::uint64_t offset, std::uint64_t count) {
  const std::uint64_t triangle =
      count % 2 == 0 ? (count / 2) * (count - 1) : count * ((count - 1) / 2);
  return offset * count + triangle;
}

// Runs inside the tensor, disjoint, in increasing order: the buffer holds
// them in the order HDF5 visits the file (row-major), so no other order can
// be written or read correctly.
void check_runs(const std::string& tensor, const TensorSlice& slice, const std::string& path) {
  const std::uint64_t numel = slice.numel();
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < slice.runs.size(); ++i) {
    const FlatRun& run = slice.runs[i];
    const std::string text = "run " + std::to_string(i) + " [" + std::to_string(run.offset) +
                             ", +" + std::to_string(run.count) + ")";
    if (run.offset > numel || run.count > numel - run.offset)
      throw Error(tensor + ": " + text + " exceeds its " + std::to_string(numel) + " elements",
                  path, kFixCallerBug);
    if (run.offset < end)
      throw Error(tensor + ": " + text + " starts before the end of the run before it (" +
                      std::to_string(end) + ")",
                  path,
                  "give a slice's runs in increasing logical order without overlap, the buffer "
                  "holding them in that order (HDF5 moves elements in row-major file order); " +
                      std::string(kFixCallerBug));
    end = run.offset + run.count;
  }
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  if (name.find("//") != std::string::npos) return false;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
          c == '/'))
      return false;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t slash = std::min(name.find('/', begin), name.size());
    const std::string part = name.substr(begin, slash - begin);
    if (part == "." || part == "..") return false;
    begin = slash + 1;
  }
  return true;
}

}  // namespace

Error call_failed(const char* call, const std::string& path, const char* file, int line) {
  const Error generic = h5::call_failed(call, path, file, line);  // takes HDF5's message
  return Error(generic.problem(), path, kFixCheckpointIo, ErrorScope::this_rank).at(file, line);
}

void CollectiveFile::close(const std::string& path) {
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  if (id >= 0) STRATA_CHECK_CKPT(H5Fclose(id), path);
}

std::vector<std::string> dataset_paths(const std::string& name) {
  return {"model/" + name, "optimizer/" + name + "/exp_avg", "optimizer/" + name + "/exp_avg_sq"};
}

h5::Dataspace memory_space(std::uint64_t count, const std::string& path) {
  const hsize_t extent = std::max<hsize_t>(count, 1);
  h5::Dataspace space(STRATA_CHECK_CKPT(H5Screate_simple(1, &extent, nullptr), path));
  if (count == 0) STRATA_CHECK_CKPT(H5Sselect_none(space.id()), path);
  return space;
}

h5::PropertyList collective_transfer(const std::string& path) {
  h5::PropertyList transfer(STRATA_CHECK_CKPT(H5Pcreate(H5P_DATASET_XFER), path));
  STRATA_CHECK_CKPT(H5Pset_dxpl_mpio(transfer.id(), H5FD_MPIO_COLLECTIVE), path);
  return transfer;
}

template <class Float>
void check_shards(const std::vector<BasicParameterShard<Float>>& shards, const std::string& path) {
  std::vector<std::string> names;
  for (const auto& shard : shards) {
    const std::string tensor = "tensor '" + shard.name + "'";
    if (!valid_name(shard.name))
      throw Error(tensor +
                      " has a name a checkpoint cannot hold (letters, digits, _ . - and "
                      "'/' between non-empty parts)",
                  path, kFixCallerBug);
    if (shard.slice.shape.empty())
      throw Error(tensor + " has no dimensions; store a scalar as shape {1}", path, kFixCallerBug);
    check_runs(tensor, shard.slice, path);
    if (shard.slice.count() > 0 && !(shard.param && shard.exp_avg && shard.exp_avg_sq))
      throw Error(tensor + " has a slice but no buffer for it", path, kFixCallerBug);
    names.push_back(shard.name);
  }
  // A name that is also another's group ("a" and "a/b") cannot be stored.
  std::sort(names.begin(), names.end());
  for (std::size_t i = 1; i < names.size(); ++i)
    if (names[i] == names[i - 1] || names[i].rfind(names[i - 1] + "/", 0) == 0)
      throw Error("tensors '" + names[i - 1] + "' and '" + names[i] + "' collide", path,
                  kFixCallerBug);
}
template void check_shards(const std::vector<ParameterShard>&, const std::string&);
template void check_shards(const std::vector<ParameterTarget>&, const std::string&);

template <class Float>
std::string layout_text(const std::vector<BasicParameterShard<Float>>& shards) {
  std::string text;
  for (const auto& shard : shards) {
    text += shard.name + '(';
    for (const auto extent : shard.slice.shape) text += std::to_string(extent) + ',';
    text += ')';
  }
  return text;
}
template std::string layout_text(const std::vector<ParameterShard>&);
template std::string layout_text(const std::vector<ParameterTarget>&);

void require_same_on_all_ranks(MPI_Comm comm, const std::string& text, const std::string& what,
                               const std::string& path) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a: cheap, and any difference shows
  for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  std::uint64_t low = hash, high = hash;
  STRATA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_UINT64_T, MPI_MIN, comm));
  STRATA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_UINT64_T, MPI_MAX, comm));
  if (low != high)
    throw Error("the ranks passed different " + what, path,
                "every rank must pass the same tensor names, shapes and state; " +
                    std::string(kFixCallerBug));
}

void require_tiling(MPI_Comm comm, const std::vector<ParameterShard>& shards,
                    const std::string& path) {
  std::vector<std::uint64_t> sums;
  for (const auto& shard : shards) {
    std::uint64_t indices = 0;
    for (const FlatRun& run : shard.slice.runs) indices += index_sum(run.offset, run.count);
    sums.push_back(shard.slice.count());
    sums.push_back(indices);
  }
  STRATA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()),
                                 MPI_UINT64_T, MPI_SUM, comm));
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::uint64_t numel = shards[i].slice.numel();
    if (sums[2 * i] != numel || sums[2 * i + 1] != index_sum(0, numel))
      throw Error(
          "tensor '" + shards[i].name + "': the ranks' slices hold " + std::to_string(sums[2 * i]) +
              " elements of " + std::to_string(numel) +
              (sums[2 * i] == numel ? " but overlap" : ""),
          path, "every element must be written by exactly one rank; " + std::string(kFixCallerBug));
  }
}

}  // namespace strata::io::checkpoint_impl
