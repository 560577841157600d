// Shared checkpoint machinery: flat ranges as hyperslab unions, and the
// checks that every rank calls the collective HDF5 operations identically.
#include "io/checkpoint/impl/checkpoint_h5.hpp"

#include <algorithm>
#include <cctype>

#include "core/check.hpp"
#include "io/hdf5/h5_check.hpp"

namespace strata::io::checkpoint_impl {
namespace {

const char* const kFixCallerBug =
    "this is a bug in the code that built the shards; please report it";

struct Box {
  std::vector<hsize_t> start, count;
};

// Appends boxes covering [begin, end) of the sub-array below `prefix` (fixed
// leading indices), in row-major order: a partial first row, a block of full
// rows, a partial last row, recursing into the partial ones.
void split(const std::vector<hsize_t>& shape, std::vector<hsize_t>& prefix, hsize_t begin,
           hsize_t end, std::vector<Box>& out) {
  if (begin >= end) return;
  const std::size_t dim = prefix.size();
  hsize_t inner = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) inner *= shape[d];
  const hsize_t first_full = (begin + inner - 1) / inner, end_full = end / inner;
  auto descend = [&](hsize_t row, hsize_t from, hsize_t to) {
    prefix.push_back(row);
    split(shape, prefix, from, to, out);
    prefix.pop_back();
  };
  if (first_full > end_full) return descend(begin / inner, begin % inner, end % inner);
  if (begin % inner != 0) descend(begin / inner, begin % inner, inner);
  if (end_full > first_full) {
    Box box{prefix, std::vector<hsize_t>(dim, 1)};
    box.start.push_back(first_full);
    box.count.push_back(end_full - first_full);
    for (std::size_t d = dim + 1; d < shape.size(); ++d) {
      box.start.push_back(0);
      box.count.push_back(shape[d]);
    }
    out.push_back(std::move(box));
  }
  if (end % inner != 0) descend(end_full, 0, end % inner);
}

// Sum of the indices offset .. offset + count - 1, modulo 2^64.
std::uint64_t index_sum(std::uint64_t offset, std::uint64_t count) {
  const std::uint64_t triangle =
      count % 2 == 0 ? (count / 2) * (count - 1) : count * ((count - 1) / 2);
  return offset * count + triangle;
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

void select_flat_range(hid_t file_space, const TensorSlice& slice, const std::string& path) {
  if (slice.count == 0) {
    STRATA_CHECK_CKPT(H5Sselect_none(file_space), path);
    return;
  }
  const std::vector<hsize_t> shape(slice.shape.begin(), slice.shape.end());
  std::vector<hsize_t> prefix;
  std::vector<Box> boxes;
  split(shape, prefix, slice.offset, slice.offset + slice.count, boxes);
  for (std::size_t i = 0; i < boxes.size(); ++i)
    STRATA_CHECK_CKPT(
        H5Sselect_hyperslab(file_space, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR,
                            boxes[i].start.data(), nullptr, boxes[i].count.data(), nullptr),
        path);
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
    const std::uint64_t numel = shard.slice.numel();
    if (shard.slice.offset > numel || shard.slice.count > numel - shard.slice.offset)
      throw Error(tensor + ": slice [" + std::to_string(shard.slice.offset) + ", +" +
                      std::to_string(shard.slice.count) + ") exceeds its " + std::to_string(numel) +
                      " elements",
                  path, kFixCallerBug);
    if (shard.slice.count > 0 && !(shard.param && shard.exp_avg && shard.exp_avg_sq))
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
    sums.push_back(shard.slice.count);
    sums.push_back(index_sum(shard.slice.offset, shard.slice.count));
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
