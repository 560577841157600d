// Checked calls: every MPI and system call goes through one of these so no
// return code is dropped and each failure says which call, where, on which
// rank. (HDF5's checker lives in io/, the layer that owns HDF5.)
#pragma once

#include <mpi.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace strata::detail {

inline void check_mpi(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(std::string("MPI call failed: ") + text, call,
              "check the MPI launch (mpirun/srun) and the ranks' network; rerun with "
              "--log.all_ranks=true to see every rank",
              ErrorScope::this_rank)
      .at(file, line);
}

// POSIX convention: -1 (or any negative value) means failure, errno says why.
template <class Result>
Result check_sys(Result result, const char* call, const std::string& path, const char* file,
                 int line) {
  if (result >= 0) return result;
  const int saved = errno;
  throw Error(std::string(call) + " failed: " + std::strerror(saved), path,
              "check that the path exists, is readable/writable by this user, and that the "
              "file system is not full",
              ErrorScope::this_rank)
      .at(file, line);
}

}  // namespace strata::detail

#define STRATA_CHECK_MPI(call) ::strata::detail::check_mpi((call), #call, __FILE__, __LINE__)
#define STRATA_CHECK_SYS(call, path) \
  ::strata::detail::check_sys((call), #call, (path), __FILE__, __LINE__)
