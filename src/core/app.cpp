// run_app and agree_on_success: where errors turn into exit codes.
#include "core/app.hpp"

#include <malloc.h>
#include <Kokkos_Core.hpp>

#include <climits>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "core/error.hpp"

namespace strata {
namespace {

void report(const char* app_name, const std::string& message, bool tag_rank) {
  std::string line = std::string(app_name) + ": error";
  if (tag_rank) line += " on rank " + std::to_string(world_rank());
  line += ": " + message + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void shut_down() {
  if (Kokkos::is_initialized()) Kokkos::finalize();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

[[noreturn]] void abort_job(const char* app_name, const std::string& message) {
  report(app_name, message, true);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // MPI_Abort does not return; this satisfies [[noreturn]].
}

void broadcast_string(std::string& text, int root, MPI_Comm comm) {
  unsigned long long size = text.size();
  STRATA_CHECK_MPI(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, comm));
  text.resize(size);
  if (size > 0)
    STRATA_CHECK_MPI(MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, root, comm));
}

// glibc serves blocks above 32 MiB with fresh mmap()s and returns them on
// free, so each one is paid for again in page faults the next time: the
// buffers MPI's collectives allocate every call, and any large tensor made per
// step. On the test VM first-touch ran at 0.7 GB/s against 14 GB/s for
// recycled pages, and this setting halved a 124M-float MPI_Allreduce (0.25 s ->
// 0.12 s; docs/comm.md). Like the caching allocators of GPU frameworks, a
// training process keeps what it has freed: its peak is its steady state.
void keep_freed_memory() {
  mallopt(M_MMAP_MAX, 0);              // every block from the heap, which is reused
  mallopt(M_TRIM_THRESHOLD, INT_MAX);  // and never shrunk back to the OS
}

}  // namespace

int run_app(const char* app_name, int argc, char** argv,
            const std::function<int(int, char**)>& body) {
  keep_freed_memory();
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    report(app_name, "MPI_Init_thread failed; launch with mpirun/srun or check the MPI install",
           false);
    return 1;
  }
  int exit_code = 1;
  try {
    Kokkos::initialize(argc, argv);
    exit_code = body(argc, argv);
  } catch (const Error& error) {
    if (error.scope() == ErrorScope::this_rank) abort_job(app_name, error.what());
    if (world_rank() == 0) report(app_name, error.what(), false);
    exit_code = 1;
  } catch (const std::exception& error) {
    abort_job(app_name, std::string("unexpected failure: ") + error.what());
  }
  shut_down();
  return exit_code;
}

void agree_on_success(MPI_Comm comm, const std::function<void()>& check) {
  int rank = 0;
  STRATA_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  std::string problem, subject, fix;
  int failing_rank = INT_MAX;
  try {
    check();
  } catch (const Error& error) {
    failing_rank = rank;
    problem = error.problem();
    subject = error.subject();
    fix = error.fix();
  }
  int first_failure = INT_MAX;
  STRATA_CHECK_MPI(MPI_Allreduce(&failing_rank, &first_failure, 1, MPI_INT, MPI_MIN, comm));
  if (first_failure == INT_MAX) return;
  broadcast_string(problem, first_failure, comm);
  broadcast_string(subject, first_failure, comm);
  broadcast_string(fix, first_failure, comm);
  if (first_failure != 0) problem += " (seen on rank " + std::to_string(first_failure) + ")";
  throw Error(problem, subject, fix, ErrorScope::all_ranks);
}

}  // namespace strata
