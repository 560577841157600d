// write_checkpoint: agreed checks first (so no rank enters a collective the
// others skip), then one collective parallel-HDF5 file, then the publish.
#include "io/checkpoint/checkpoint_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>

#include "core/app.hpp"
#include "core/atomic_file.hpp"
#include "core/check.hpp"
#include "io/checkpoint/impl/checkpoint_h5.hpp"
#include "io/checkpoint/impl/run_selection.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/sha256.hpp"

namespace strata::io {
namespace {

using namespace checkpoint_impl;

void check_attribute_name(const std::string& name, const char* reserved, const std::string& path) {
  bool ok = !name.empty() && name != reserved;
  for (const char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok)
    throw Error("checkpoint attribute name '" + name +
                    "' cannot be stored (letters, digits, _ - .; not '" + reserved + "')",
                path,
                "this is a bug in the code that built the checkpoint state; please report it");
}

void check_counter_names(const CheckpointState& state, const std::string& path) {
  for (const auto& [name, value] : state.optimizer_scalars) {
    (void)value;
    check_attribute_name(name, "step", path);
  }
  for (const auto& [name, value] : state.rng_counters) {
    (void)value;
    bool ok = !name.empty() && name != "seed";
    for (const char c : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
    if (!ok)
      throw Error("RNG counter name '" + name +
                      "' cannot be stored (letters, digits, _ - .; not "
                      "'seed')",
                  path,
                  "this is a bug in the code that built the checkpoint state; please report it");
  }
}

std::string state_text(const CheckpointState& state) {
  std::string text = std::to_string(state.step) + '|' + std::to_string(state.optimizer_step) + '|' +
                     std::to_string(state.rng_seed) + '|' + std::to_string(state.data_step) + '|' +
                     std::to_string(state.sample_cursor) + '|';
  for (const auto& [name, value] : state.rng_counters)
    text += name + '=' + std::to_string(value) + '|';
  for (const auto& [name, value] : state.optimizer_scalars) {
    char exact[40];
    std::snprintf(exact, sizeof exact, "%a", value);  // hex float: every bit counts
    text += name + '=' + exact + '|';
  }
  return text + state.config;
}

h5::PropertyList parallel_create_access(MPI_Comm comm, const std::string& path) {
  h5::PropertyList fapl(STRATA_CHECK_CKPT(H5Pcreate(H5P_FILE_ACCESS), path));
  STRATA_CHECK_CKPT(H5Pset_fapl_mpio(fapl.id(), comm, MPI_INFO_NULL), path);
  // Metadata written once, collectively, instead of every rank racing to it.
  STRATA_CHECK_CKPT(H5Pset_coll_metadata_write(fapl.id(), true), path);
  STRATA_CHECK_CKPT(H5Pset_all_coll_metadata_ops(fapl.id(), true), path);
  // Parallel file systems without flock would refuse the open; the .tmp
  // name already keeps readers away.
  STRATA_CHECK_CKPT(H5Pset_file_locking(fapl.id(), false, true), path);
  // Large tensors start on 1 MiB boundaries: a typical Lustre/GPFS stripe,
  // so collective writes do not share stripes between tensors.
  STRATA_CHECK_CKPT(H5Pset_alignment(fapl.id(), 4u << 20, 1u << 20), path);
  return fapl;
}

hid_t make_group(hid_t file, const char* name, const std::string& path) {
  return STRATA_CHECK_CKPT(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path);
}

void write_tensor(hid_t file, const std::string& dataset, const TensorSlice& slice,
                  const float* data, hid_t transfer, const std::string& path) {
  const std::vector<hsize_t> dims(slice.shape.begin(), slice.shape.end());
  h5::Dataspace file_space(STRATA_CHECK_CKPT(
      H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path));
  h5::PropertyList link(STRATA_CHECK_CKPT(H5Pcreate(H5P_LINK_CREATE), path));
  STRATA_CHECK_CKPT(H5Pset_create_intermediate_group(link.id(), 1), path);  // names with '/'
  h5::PropertyList create(STRATA_CHECK_CKPT(H5Pcreate(H5P_DATASET_CREATE), path));
  // Every element is written, so prefilling would only double the I/O.
  STRATA_CHECK_CKPT(H5Pset_fill_time(create.id(), H5D_FILL_TIME_NEVER), path);
  STRATA_CHECK_CKPT(H5Pset_alloc_time(create.id(), H5D_ALLOC_TIME_EARLY), path);
  STRATA_CHECK_CKPT(H5Pset_obj_track_times(create.id(), false), path);
  h5::Dataset set(
      STRATA_CHECK_CKPT(H5Dcreate2(file, dataset.c_str(), H5T_IEEE_F32LE, file_space.id(),
                                   link.id(), create.id(), H5P_DEFAULT),
                        path));
  select_runs(file_space.id(), slice, path);
  h5::Dataspace memory = memory_space(slice.count(), path);
  const float nothing = 0.0f;  // HDF5 wants a buffer even for an empty selection
  STRATA_CHECK_CKPT(H5Dwrite(set.id(), H5T_NATIVE_FLOAT, memory.id(), file_space.id(), transfer,
                             slice.count() > 0 ? data : &nothing),
                    path);
  set.close(path);
}

void write_state(hid_t file, const CheckpointState& state, const std::string& path) {
  with_checkpoint_fix(path, [&] {
    Sha256 digest;
    digest.update(state.config);
    h5::write_attribute(file, "format", std::string(kCheckpointFormat), path);
    h5::write_attribute(file, "format_version", kCheckpointFormatVersion, path);
    h5::write_attribute(file, "step", std::uint64_t{state.step}, path);
    h5::write_attribute(file, "config", state.config, path);
    h5::write_attribute(file, "config_sha256", digest.hex_digest(), path);
    h5::Handle<H5Gclose> optimizer(make_group(file, "optimizer", path));
    h5::write_attribute(optimizer.id(), "step", std::uint64_t{state.optimizer_step}, path);
    for (const auto& [name, value] : state.optimizer_scalars)
      h5::write_attribute(optimizer.id(), name, value, path);
    h5::Handle<H5Gclose> rng(make_group(file, "rng", path));
    h5::write_attribute(rng.id(), "seed", std::uint64_t{state.rng_seed}, path);
    for (const auto& [name, value] : state.rng_counters)
      h5::write_attribute(rng.id(), name, std::uint64_t{value}, path);
    h5::Handle<H5Gclose> data(make_group(file, "data", path));
    h5::write_attribute(data.id(), "step", std::uint64_t{state.data_step}, path);
    h5::write_attribute(data.id(), "sample_cursor", std::uint64_t{state.sample_cursor}, path);
    h5::Handle<H5Gclose> model(make_group(file, "model", path));
  });
}

}  // namespace

std::string write_checkpoint(MPI_Comm comm, const std::string& dir, const CheckpointState& state,
                             const std::vector<ParameterShard>& shards) {
  h5::silence_error_printing();
  int rank = 0;
  STRATA_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  const std::string path = checkpoint_path(dir, state.step);
  const std::string temporary = path + ".tmp";

  agree_on_success(comm, [&] {
    if (rank == 0) prepare_checkpoint_dir(dir);
  });
  agree_on_success(comm, [&] {
    require_writable_checkpoint_dir(dir);  // every node must see it
    check_shards(shards, path);
    check_counter_names(state, path);
  });
  require_same_on_all_ranks(comm, layout_text(shards) + '#' + state_text(state),
                            "tensors or checkpoint state", path);
  require_tiling(comm, shards, path);

  {
    h5::PropertyList access = parallel_create_access(comm, temporary);
    CollectiveFile file(STRATA_CHECK_CKPT(
        H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.id()), temporary));
    write_state(file.id(), state, temporary);
    h5::PropertyList transfer = collective_transfer(temporary);
    for (const ParameterShard& shard : shards) {
      const auto names = dataset_paths(shard.name);
      write_tensor(file.id(), names[0], shard.slice, shard.param, transfer.id(), temporary);
      write_tensor(file.id(), names[1], shard.slice, shard.exp_avg, transfer.id(), temporary);
      write_tensor(file.id(), names[2], shard.slice, shard.exp_avg_sq, transfer.id(), temporary);
    }
    STRATA_CHECK_CKPT(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), temporary);
    file.close(temporary);  // collective; after it every rank's data is in the file
  }

  // Rank 0 publishes; the agreement is the barrier after which every rank
  // knows the checkpoint and `latest` are durable (or every rank throws).
  agree_on_success(comm, [&] {
    if (rank != 0) return;
    fsync_file(temporary);
    STRATA_CHECK_SYS(std::rename(temporary.c_str(), path.c_str()), path);
    fsync_directory(dir);
    write_file_atomically(dir + "/latest", path.substr(dir.size() + 1) + "\n");
  });
  return path;
}

}  // namespace strata::io
