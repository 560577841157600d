// Opening HDF5 files with errors a user can act on: a missing, unreadable or
// non-HDF5 file is reported as such (with the fix) before HDF5 is asked.
#pragma once

#include <mpi.h>

#include <string>

#include "io/hdf5/h5_handle.hpp"

namespace strata::io::h5 {

// Throws an input Error (subject: `subject`, e.g. "[data] path = x.h5") if
// path does not exist, is not a regular file, cannot be read, or lacks the
// HDF5 signature. `remedy` is the fix for a file that is not what we wrote
// (for token files: rerun strata-prep).
void require_hdf5_file(const std::string& path, const std::string& subject,
                       const std::string& remedy);

// Read-only open on this process alone (POSIX driver).
File open_serial(const std::string& path);
// Read-only collective open over comm through MPI-IO; every rank of comm
// must call it.
File open_parallel(const std::string& path, MPI_Comm comm);
// Creates (truncating) a file for a single writer.
File create_serial(const std::string& path);

}  // namespace strata::io::h5
