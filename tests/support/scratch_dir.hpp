// A scratch directory every rank of a multi-rank test can use.
#pragma once

#include <mpi.h>

#include <cstdlib>
#include <string>

namespace strata::testing {

// A fresh directory under $TMPDIR (or /tmp) made by rank 0 and announced to
// every rank of comm ("" if it could not be made, so the caller's first use
// fails visibly). Not removed: ctest runs are short and the name says which
// test made it.
inline std::string shared_scratch_dir(MPI_Comm comm, const std::string& tag) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string dir;
  if (rank == 0) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/strata-" + tag + "-XXXXXX";
    dir = mkdtemp(pattern.data()) ? pattern : std::string();
  }
  int size = static_cast<int>(dir.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, comm);
  dir.resize(size);
  MPI_Bcast(dir.data(), size, MPI_CHAR, 0, comm);
  return dir;
}

}  // namespace strata::testing
