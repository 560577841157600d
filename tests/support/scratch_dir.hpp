// Scratch directories for tests, removed when the test is done with them.
#pragma once

#include <mpi.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace strata::testing {

// A fresh directory under $TMPDIR (or /tmp), named after the test's tag.
// path() is "" if it could not be made, so the caller's first use fails
// visibly. The destructor removes it and everything in it.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) : path_(make(tag)) {}
  ~ScratchDir() { remove(); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 protected:
  ScratchDir() = default;

  static std::string make(const std::string& tag) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/strata-" + tag + "-XXXXXX";
    return mkdtemp(pattern.data()) ? pattern : std::string();
  }

  void remove() {
    std::error_code ignored;  // a test that failed may have left it half-written
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    path_.clear();
  }

  std::string path_;
};

// The same for every rank of comm: rank 0 makes the directory and announces
// it; the destructor waits for every rank to be done (a barrier on comm)
// before rank 0 removes it. Destroy it while MPI is still initialised (a
// fixture member or a local in a test body).
class SharedScratchDir : public ScratchDir {
 public:
  SharedScratchDir(MPI_Comm comm, const std::string& tag) : comm_(comm) {
    int rank = 0;
    MPI_Comm_rank(comm_, &rank);
    if (rank == 0) path_ = make(tag);
    int size = static_cast<int>(path_.size());
    MPI_Bcast(&size, 1, MPI_INT, 0, comm_);
    path_.resize(static_cast<std::size_t>(size));
    MPI_Bcast(path_.data(), size, MPI_CHAR, 0, comm_);
  }
  ~SharedScratchDir() {
    int rank = 0;
    MPI_Comm_rank(comm_, &rank);
    MPI_Barrier(comm_);
    if (rank != 0) path_.clear();  // only rank 0 removes it
  }

 private:
  MPI_Comm comm_;
};

}  // namespace strata::testing
