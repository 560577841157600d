// The parallel side of token files: agreed validation, collective open over
// MPI-IO, and independent hyperslab-union reads.
#include "io/token_dataset_reader.hpp"

#include "core/app.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {

TokenDataset TokenDataset::open(MPI_Comm comm, const std::string& path,
                                const TokenFileExpectation& expect) {
  TokenFileInfo info;
  // Every rank looks at the file itself (a node may not see what rank 0
  // sees), and nobody enters the collective open unless all ranks passed.
  agree_on_success(comm, [&] {
    info = inspect_token_file(path, expect.key);
    check_token_file(info, expect, path);
  });
  TokenDataset dataset;
  dataset.path_ = path;
  dataset.info_ = info;
  dataset.file_ = h5::open_parallel(path, comm);
  dataset.tokens_ =
      h5::Dataset(STRATA_CHECK_H5(H5Dopen2(dataset.file_.id(), kTokensDataset, H5P_DEFAULT), path));
  // Independent transfers: each DP rank reads different samples, pipeline
  // stages other than the first and last read nothing, and a read must not
  // wait for ranks that have no reason to take part (docs/data.md).
  dataset.transfer_ = h5::PropertyList(STRATA_CHECK_H5(H5Pcreate(H5P_DATASET_XFER), path));
  STRATA_CHECK_H5(H5Pset_dxpl_mpio(dataset.transfer_.id(), H5FD_MPIO_INDEPENDENT), path);
  return dataset;
}

void TokenDataset::read_runs(const std::vector<TokenRange>& runs,
                             std::vector<std::uint32_t>& out) const {
  hsize_t total = 0;
  for (const TokenRange& run : runs) total += run.size();
  out.resize(total);
  if (total == 0) return;
  h5::Dataspace file_space(STRATA_CHECK_H5(H5Dget_space(tokens_.id()), path_));
  bool first = true;
  for (const TokenRange& run : runs) {
    if (run.size() == 0) continue;
    const hsize_t start = run.begin, count = run.size();
    STRATA_CHECK_H5(H5Sselect_hyperslab(file_space.id(), first ? H5S_SELECT_SET : H5S_SELECT_OR,
                                        &start, nullptr, &count, nullptr),
                    path_);
    first = false;
  }
  h5::Dataspace memory_space(STRATA_CHECK_H5(H5Screate_simple(1, &total, nullptr), path_));
  // HDF5 widens uint16 files to the uint32 buffer during the read.
  STRATA_CHECK_H5(H5Dread(tokens_.id(), H5T_NATIVE_UINT32, memory_space.id(), file_space.id(),
                          transfer_.id(), out.data()),
                  path_);
}

}  // namespace strata::io
