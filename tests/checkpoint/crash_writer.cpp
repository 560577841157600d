// A real crash in the middle of a checkpoint write, for ctest (no GoogleTest:
// the job is meant to die). Run under mpirun:
//   crash_writer crash DIR    publishes step-1, then starts step-2 with the
//                             last tensor's buffer in unreadable memory: after
//                             the .tmp file exists and earlier tensors are in
//                             it, the write faults (SIGSEGV in a copy, or EFAULT
//                             from the kernel, which run_app turns into
//                             MPI_Abort, as in strata-train)
//   crash_writer verify DIR   checks what the crash left (step-1 and `latest`
//                             intact, no step-2.h5), then writes step-2 for
//                             the h5py cross-check
#include <mpi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "checkpoint_test_support.hpp"
#include "core/app.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_reader.hpp"
#include "io/checkpoint/checkpoint_writer.hpp"

using namespace strata::io;
using namespace strata::io::testing;

namespace {

int rank_of() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

std::vector<ShardBuffers> my_part(bool fill) {
  int r = 0, n = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  std::vector<TensorSlice> slices;
  for (const auto& spec : small_model()) slices.push_back(part_of(spec.shape, r, n));
  return make_buffers(small_model(), slices, fill);
}

int fail(const std::string& what) {
  std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_of(), what.c_str());
  return 1;
}

int crash(const std::string& dir) {
  const auto buffers = my_part(true);
  write_checkpoint(MPI_COMM_WORLD, dir, sample_state(1), shards_of(buffers));
  if (rank_of() == 0) std::printf("step-1 published; crashing inside step-2\n");
  std::fflush(stdout);
  auto shards = shards_of(buffers);
  const long page = ::sysconf(_SC_PAGESIZE);
  void* trap = ::mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  shards.back().exp_avg_sq = static_cast<const float*>(trap);
  write_checkpoint(MPI_COMM_WORLD, dir, sample_state(2), shards);
  std::printf("survived\n");  // ctest fails on this line
  return 1;
}

int verify(const std::string& dir) {
  std::ifstream latest(dir + "/latest");
  std::string name;
  std::getline(latest, name);
  if (name != "step-1.h5") return fail("latest holds '" + name + "', not step-1.h5");
  if (std::ifstream(dir + "/step-2.h5").good()) return fail("step-2.h5 exists after the crash");
  if (!std::ifstream(dir + "/step-2.h5.tmp").good()) return fail("the crash left no step-2.h5.tmp");
  const auto resumed = resolve_resume(dir, "latest");
  if (resumed != dir + "/step-1.h5") return fail("resolve_resume(latest) is not step-1.h5");
  auto buffers = my_part(false);
  const CheckpointState state = read_checkpoint(MPI_COMM_WORLD, *resumed, targets_of(buffers));
  const auto expected = my_part(true);
  for (std::size_t t = 0; t < buffers.size(); ++t)
    for (int which = 0; which < 3; ++which)
      if (buffers[t].data[which] != expected[t].data[which])
        return fail("step-1.h5 tensor " + buffers[t].name + " differs after the crash");
  if (state.step != 1) return fail("step-1.h5 holds step " + std::to_string(state.step));
  write_checkpoint(MPI_COMM_WORLD, dir, sample_state(2), shards_of(expected));
  if (rank_of() == 0) std::printf("crash left step-1 intact; step-2 written\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return strata::run_app("crash_writer", argc, argv, [](int count, char** args) {
    if (count != 3) {
      std::fprintf(stderr, "usage: crash_writer crash|verify DIR\n");
      return 2;
    }
    return std::string(args[1]) == "crash" ? crash(args[2]) : verify(args[2]);
  });
}
