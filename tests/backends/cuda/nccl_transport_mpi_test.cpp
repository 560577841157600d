// The NCCL transport under mpirun. Without a visible GPU (CI, this project's
// CPU machines) the constructor must refuse on every rank with an Error that
// names the missing device and the binding fix, before any rank waits in
// NCCL's init. With GPUs, one per rank: a Communicator handing its calls to
// NCCL all-reduces, all-gathers and exchanges device buffers exactly as the
// MPI path does on host buffers, and the ledger counts them.
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "../../support/mpi_world.hpp"
#include "backends/cuda/cuda_check.hpp"
#include "backends/cuda/nccl_transport.hpp"
#include "comm/communicator.hpp"
#include "core/error.hpp"

namespace strata::backends::cuda {
namespace {

using strata::testing::world_rank;

// A device copy of host floats, freed at scope exit.
struct DeviceFloats {
  float* data = nullptr;
  std::size_t n = 0;
  explicit DeviceFloats(const std::vector<float>& host) : n(host.size()) {
    EXPECT_EQ(cudaMalloc(&data, n * sizeof(float)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data, host.data(), n * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceFloats() { cudaFree(data); }
  std::vector<float> host() const {
    std::vector<float> out(n);
    EXPECT_EQ(cudaMemcpy(out.data(), data, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }
};

TEST(NcclTransport, RefusesClearlyWithoutAGpuOrMatchesMpiWithOne) {
  const int devices = visible_cuda_devices();
  int fewest = devices;
  MPI_Allreduce(MPI_IN_PLACE, &fewest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (fewest == 0) {
    try {
      NcclTransport transport(MPI_COMM_WORLD, 0);
      FAIL() << "an NCCL transport was made without a visible GPU";
    } catch (const Error& error) {
      const std::string text = error.what();
      EXPECT_NE(text.find("NCCL communicator"), std::string::npos) << text;
      EXPECT_NE(text.find("--gpus-per-task"), std::string::npos) << text;
      if (world_rank() == 0) std::printf("  message: %s\n", text.c_str());
    }
    return;
  }
  comm::CommLedger ledger;
  comm::Communicator group(MPI_COMM_WORLD, "dp", &ledger, std::chrono::seconds(60));
  group.use_device_transport(
      std::make_shared<NcclTransport>(MPI_COMM_WORLD, world_rank() % devices));
  const int p = group.size(), r = group.rank();
  std::vector<float> mine(8);
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = static_cast<float>(r * 10 + i);

  DeviceFloats reduced(mine);
  group.all_reduce(reduced.data, 8, DType::fp32);
  std::vector<float> want = mine;
  MPI_Allreduce(MPI_IN_PLACE, want.data(), 8, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(reduced.host(), want);

  DeviceFloats gathered(std::vector<float>(8 * static_cast<std::size_t>(p)));
  group.start_all_gather(reduced.data, gathered.data, 8, DType::fp32).wait();
  std::vector<float> all(8 * static_cast<std::size_t>(p));
  MPI_Allgather(want.data(), 8, MPI_FLOAT, all.data(), 8, MPI_FLOAT, MPI_COMM_WORLD);
  EXPECT_EQ(gathered.host(), all);

  DeviceFloats exchanged(std::vector<float>(8 * static_cast<std::size_t>(p)));
  group.all_to_all(gathered.data, exchanged.data, 8, DType::fp32);
  std::vector<float> swapped(all.size());
  MPI_Alltoall(all.data(), 8, MPI_FLOAT, swapped.data(), 8, MPI_FLOAT, MPI_COMM_WORLD);
  EXPECT_EQ(exchanged.host(), swapped);
  EXPECT_EQ(ledger.total("dp", comm::CommOp::all_reduce).calls, 1);
  EXPECT_EQ(ledger.total("dp", comm::CommOp::all_gather).calls, 1);
}

}  // namespace
}  // namespace strata::backends::cuda
