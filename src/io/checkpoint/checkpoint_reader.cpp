// read_checkpoint: validation that names the tensor and the fix (run on rank
// 0, agreed by all), then collective hyperslab reads of each rank's slices.
#include "io/checkpoint/checkpoint_reader.hpp"

#include <set>

#include "core/app.hpp"
#include "core/check.hpp"
#include "io/checkpoint/impl/checkpoint_h5.hpp"
#include "io/checkpoint/impl/run_selection.hpp"
#include "io/hdf5/h5_attribute.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

using namespace checkpoint_impl;

const char* const kRemedyNotCheckpoint =
    "point [checkpoint] resume at a step-N.h5 file that a Strata run wrote, or set it to latest";
const char* const kFixOtherModel =
    "the checkpoint was written for a different model: compare your [model] keys with the deck "
    "stored in the file (h5dump -a config FILE), or start without [checkpoint] resume";

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// io/hdf5's attribute readers, with errors that speak of checkpoints.
std::uint64_t read_uint(hid_t owner, const std::string& name, const std::string& path) {
  return with_checkpoint_fix(path, [&] { return h5::read_uint_attribute(owner, name, path); });
}
std::string read_string(hid_t owner, const std::string& name, const std::string& path) {
  return with_checkpoint_fix(path, [&] { return h5::read_string_attribute(owner, name, path); });
}

void require_attribute(hid_t owner, const std::string& where, const std::string& name,
                       const std::string& path) {
  if (!with_checkpoint_fix(path, [&] { return h5::has_attribute(owner, name, path); }))
    throw Error(
        "is not a complete Strata checkpoint: " + where + " has no attribute '" + name + "'", path,
        kRemedyNotCheckpoint);
}

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->push_back(name);
  return 0;
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->push_back(name);
  return 0;
}

hid_t open_group(hid_t file, const char* name, const std::string& path) {
  if (STRATA_CHECK_CKPT(H5Lexists(file, name, H5P_DEFAULT), path) <= 0)
    throw Error("is not a complete Strata checkpoint: it has no /" + std::string(name) + " group",
                path, kRemedyNotCheckpoint);
  return STRATA_CHECK_CKPT(H5Gopen2(file, name, H5P_DEFAULT), path);
}

CheckpointState read_state(hid_t file, const std::string& path) {
  require_attribute(file, "the root group", "format", path);
  const std::string format = read_string(file, "format", path);
  if (format != kCheckpointFormat)
    throw Error("is a '" + format + "' file, not a Strata checkpoint", path, kRemedyNotCheckpoint);
  require_attribute(file, "the root group", "format_version", path);
  const std::uint64_t version = read_uint(file, "format_version", path);
  if (version != kCheckpointFormatVersion)
    throw Error("has checkpoint format version " + std::to_string(version) +
                    "; this Strata reads "
                    "version " +
                    std::to_string(kCheckpointFormatVersion),
                path, "resume with the Strata release that wrote it");
  CheckpointState state;
  for (const char* name : {"step", "config"}) require_attribute(file, "the root group", name, path);
  state.step = read_uint(file, "step", path);
  state.config = read_string(file, "config", path);
  h5::Handle<H5Gclose> optimizer(open_group(file, "optimizer", path));
  require_attribute(optimizer.id(), "/optimizer", "step", path);
  state.optimizer_step = read_uint(optimizer.id(), "step", path);
  {
    std::vector<std::string> names;
    hsize_t position = 0;
    STRATA_CHECK_CKPT(H5Aiterate2(optimizer.id(), H5_INDEX_NAME, H5_ITER_INC, &position,
                                  collect_attribute, &names),
                      path);
    for (const std::string& name : names)
      if (name != "step")
        state.optimizer_scalars[name] = with_checkpoint_fix(
            path, [&] { return h5::read_double_attribute(optimizer.id(), name, path); });
  }
  h5::Handle<H5Gclose> rng(open_group(file, "rng", path));
  require_attribute(rng.id(), "/rng", "seed", path);
  std::vector<std::string> names;
  hsize_t position = 0;
  STRATA_CHECK_CKPT(
      H5Aiterate2(rng.id(), H5_INDEX_NAME, H5_ITER_INC, &position, collect_attribute, &names),
      path);
  for (const std::string& name : names) {
    const std::uint64_t value = read_uint(rng.id(), name, path);
    if (name == "seed")
      state.rng_seed = value;
    else
      state.rng_counters[name] = value;
  }
  h5::Handle<H5Gclose> data(open_group(file, "data", path));
  for (const char* name : {"step", "sample_cursor"})
    require_attribute(data.id(), "/data", name, path);
  state.data_step = read_uint(data.id(), "step", path);
  state.sample_cursor = read_uint(data.id(), "sample_cursor", path);
  return state;
}

// H5Lexists needs every parent to exist, so walk the path one link at a time.
bool dataset_exists(hid_t file, const std::string& dataset, const std::string& path) {
  for (std::size_t slash = dataset.find('/');; slash = dataset.find('/', slash + 1)) {
    const std::string prefix = dataset.substr(0, slash);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      h5::take_innermost_error();  // a parent that is a dataset: not there either
      return false;
    }
    if (slash == std::string::npos) break;
  }
  h5::Handle<H5Oclose> object(STRATA_CHECK_CKPT(H5Oopen(file, dataset.c_str(), H5P_DEFAULT), path));
  return H5Iget_type(object.id()) == H5I_DATASET;
}

void check_tensor(hid_t file, const std::string& dataset, const std::vector<std::uint64_t>& shape,
                  const std::string& path) {
  if (!dataset_exists(file, dataset, path))
    throw Error("has no tensor '" + dataset + "', which this model needs", path, kFixOtherModel);
  h5::Dataset set(STRATA_CHECK_CKPT(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), path));
  h5::Datatype type(STRATA_CHECK_CKPT(H5Dget_type(set.id()), path));
  if (STRATA_CHECK_CKPT(H5Tget_class(type.id()), path) != H5T_FLOAT)
    throw Error("tensor '" + dataset + "' is not floating point", path, kRemedyNotCheckpoint);
  h5::Dataspace space(STRATA_CHECK_CKPT(H5Dget_space(set.id()), path));
  const int rank = STRATA_CHECK_CKPT(H5Sget_simple_extent_ndims(space.id()), path);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  STRATA_CHECK_CKPT(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), path);
  const std::vector<std::uint64_t> found(dims.begin(), dims.end());
  if (found != shape)
    throw Error("tensor '" + dataset + "' has shape " + shape_text(found) + "; this model needs " +
                    shape_text(shape),
                path, kFixOtherModel);
}

// Tensors in the file that the model does not have: loading the rest would
// silently drop them, so they are an error too.
void check_no_extra(hid_t file, const char* group, const std::set<std::string>& expected,
                    const std::string& path) {
  h5::Handle<H5Gclose> handle(open_group(file, group, path));
  std::vector<std::string> links;
  STRATA_CHECK_CKPT(H5Lvisit(handle.id(), H5_INDEX_NAME, H5_ITER_INC, collect_link, &links), path);
  for (const std::string& link : links)
    if (!expected.count(link))
      throw Error(
          "holds tensor '" + std::string(group) + "/" + link + "', which this model does not have",
          path, kFixOtherModel);
}

void validate_file(const std::string& path, const std::vector<ParameterTarget>& targets) {
  h5::File file = with_checkpoint_fix(path, [&] { return h5::open_serial(path); });
  read_state(file.id(), path);
  std::set<std::string> model, optimizer;
  auto add_with_parents = [](std::set<std::string>& set, const std::string& name) {
    for (std::size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1))
      set.insert(name.substr(0, slash));
    set.insert(name);
  };
  for (const ParameterTarget& target : targets) {
    for (const std::string& dataset : dataset_paths(target.name))
      check_tensor(file.id(), dataset, target.slice.shape, path);
    add_with_parents(model, target.name);
    add_with_parents(optimizer, target.name + "/exp_avg");
    optimizer.insert(target.name + "/exp_avg_sq");
  }
  check_no_extra(file.id(), "model", model, path);
  check_no_extra(file.id(), "optimizer", optimizer, path);
}

void read_tensor(hid_t file, const std::string& dataset, const TensorSlice& slice, float* out,
                 hid_t transfer, const std::string& path) {
  h5::Dataset set(STRATA_CHECK_CKPT(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), path));
  h5::Dataspace file_space(STRATA_CHECK_CKPT(H5Dget_space(set.id()), path));
  select_runs(file_space.id(), slice, path);
  h5::Dataspace memory = memory_space(slice.count(), path);
  float nothing = 0.0f;
  STRATA_CHECK_CKPT(H5Dread(set.id(), H5T_NATIVE_FLOAT, memory.id(), file_space.id(), transfer,
                            slice.count() > 0 ? out : &nothing),
                    path);
}

}  // namespace

CheckpointState read_checkpoint_state(const std::string& path) {
  h5::require_hdf5_file(path, path, kRemedyNotCheckpoint);
  h5::File file = with_checkpoint_fix(path, [&] { return h5::open_serial(path); });
  return read_state(file.id(), path);
}

CheckpointState read_checkpoint(MPI_Comm comm, const std::string& path,
                                const std::vector<ParameterTarget>& targets) {
  h5::silence_error_printing();
  int rank = 0;
  STRATA_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  agree_on_success(comm, [&] {
    h5::require_hdf5_file(path, path, kRemedyNotCheckpoint);  // every node must see it
    check_shards(targets, path);
    if (rank == 0) validate_file(path, targets);  // one reader of the metadata, not thousands
  });
  require_same_on_all_ranks(comm, layout_text(targets), "tensor names or shapes", path);

  h5::PropertyList access(STRATA_CHECK_CKPT(H5Pcreate(H5P_FILE_ACCESS), path));
  STRATA_CHECK_CKPT(H5Pset_fapl_mpio(access.id(), comm, MPI_INFO_NULL), path);
  STRATA_CHECK_CKPT(H5Pset_all_coll_metadata_ops(access.id(), true),
                    path);  // rank 0 reads, broadcasts
  STRATA_CHECK_CKPT(H5Pset_file_locking(access.id(), false, true), path);
  CollectiveFile file(STRATA_CHECK_CKPT(H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.id()), path));
  CheckpointState state = read_state(file.id(), path);
  h5::PropertyList transfer = collective_transfer(path);
  for (const ParameterTarget& target : targets) {
    const auto names = dataset_paths(target.name);
    read_tensor(file.id(), names[0], target.slice, target.param, transfer.id(), path);
    read_tensor(file.id(), names[1], target.slice, target.exp_avg, transfer.id(), path);
    read_tensor(file.id(), names[2], target.slice, target.exp_avg_sq, transfer.id(), path);
  }
  file.close(path);
  return state;
}

}  // namespace strata::io
