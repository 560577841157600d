// What the checkpoint writer and reader share: checked HDF5 calls whose fix
// speaks of checkpoints, dataset names, memory spaces, and the cross-rank
// agreement checks that keep collective HDF5 calls matched.
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <exception>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "io/hdf5/h5_handle.hpp"

namespace strata::io::checkpoint_impl {

inline constexpr const char* kFixCheckpointIo =
    "check that the checkpoint directory's file system is mounted on every node, is not full, "
    "and supports MPI-IO (Lustre, GPFS, NFS with locking); a checkpoint cut short is never "
    "renamed to step-N.h5, so resume from an earlier one";

Error call_failed(const char* call, const std::string& path, const char* file, int line);

template <class Result>
Result check(Result result, const char* call, const std::string& path, const char* file, int line) {
  if (result >= 0) return result;
  throw call_failed(call, path, file, line);
}

// Runs an io/hdf5 helper (attribute I/O), giving its errors the checkpoint fix.
template <class Body>
auto with_checkpoint_fix(const std::string& path, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& error) {
    throw Error(error.problem(), path, kFixCheckpointIo, error.scope());
  }
}

// A file open on every rank of a communicator. Closing it is collective: a
// rank unwinding from a this-rank error must not close it, or it waits
// forever for peers that are elsewhere (seen in the crash test: H5Fclose
// from a destructor, blocked in HDF5's metadata sync barrier). So the id is
// left open while an exception is in flight, and the error reaches run_app,
// which aborts the job.
class CollectiveFile {
 public:
  explicit CollectiveFile(hid_t id) : id_(id) {}
  CollectiveFile(const CollectiveFile&) = delete;
  CollectiveFile& operator=(const CollectiveFile&) = delete;
  ~CollectiveFile() {
    if (id_ >= 0 && std::uncaught_exceptions() == 0) H5Fclose(id_);
  }
  hid_t id() const { return id_; }
  void close(const std::string& path);  // checked; every rank calls it

 private:
  hid_t id_;
};

// "model/<name>", "optimizer/<name>/exp_avg", "optimizer/<name>/exp_avg_sq".
std::vector<std::string> dataset_paths(const std::string& name);

// A 1-D memory space for count floats (an empty selection when count is 0).
h5::Dataspace memory_space(std::uint64_t count, const std::string& path);

// A dataset transfer list for collective MPI-IO.
h5::PropertyList collective_transfer(const std::string& path);

// Local checks of the shards (names, shapes, runs in bounds and in
// increasing order, buffers): input-style
// errors naming the tensor; run inside agree_on_success.
template <class Float>
void check_shards(const std::vector<BasicParameterShard<Float>>& shards, const std::string& path);

// Throws an all-ranks Error on every rank unless every rank of comm passed
// the same text (a digest of tensor names and shapes, and for the writer the
// state): collective HDF5 calls with different arguments corrupt the file
// or hang.
void require_same_on_all_ranks(MPI_Comm comm, const std::string& text, const std::string& what,
                               const std::string& path);

// Throws on every rank unless the slices of all ranks tile each tensor: every
// element written by exactly one rank (checked by element count and by the sum of
// element indices over all runs, modulo 2^64).
void require_tiling(MPI_Comm comm, const std::vector<ParameterShard>& shards,
                    const std::string& path);

// Names and shapes (what must agree across ranks) as text.
template <class Float>
std::string layout_text(const std::vector<BasicParameterShard<Float>>& shards);

}  // namespace strata::io::checkpoint_impl

#define STRATA_CHECK_CKPT(call, path) \
  ::strata::io::checkpoint_impl::check((call), #call, (path), __FILE__, __LINE__)
