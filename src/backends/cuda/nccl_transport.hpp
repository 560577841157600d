// NcclTransport: NCCL behind the Communicator (comm/device_transport.hpp).
// It spans the same ranks as the Communicator's MPI group and is
// bootstrapped through it: rank 0 makes NCCL's unique id and broadcasts it
// over MPI, then every rank joins with ncclCommInitRank. Operations are
// enqueued on the transport's own CUDA stream; a completion is a CUDA event
// recorded after them, polled without blocking, with NCCL's asynchronous
// error checked on every poll so a failed peer surfaces as an Error rather
// than a hang (the Communicator's watchdog still bounds the wait).
#pragma once

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/device_transport.hpp"

namespace strata::backends::cuda {

class NcclTransport final : public comm::DeviceTransport {
 public:
  // Collective over comm. device: the CUDA device this rank uses (its local
  // rank's, or 0 under one visible GPU per rank). Throws an Error naming the
  // problem and the fix when no CUDA device is visible or NCCL fails.
  NcclTransport(MPI_Comm comm, int device);
  ~NcclTransport() override;
  NcclTransport(const NcclTransport&) = delete;
  NcclTransport& operator=(const NcclTransport&) = delete;

  std::string name() const override { return "nccl"; }
  cudaStream_t stream() const noexcept { return stream_; }

  void all_reduce(void* buffer, std::int64_t count, DType dtype, comm::ReduceOp op) override;
  void reduce_scatter(const void* send, void* recv, std::int64_t recv_count, DType dtype) override;
  void all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype) override;
  void all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                    const std::vector<std::int64_t>& send_displs, void* recv,
                    const std::vector<std::int64_t>& recv_counts,
                    const std::vector<std::int64_t>& recv_displs, DType dtype) override;
  void broadcast(void* buffer, std::int64_t count, DType dtype, int root) override;
  void send(const void* buffer, std::int64_t count, DType dtype, int peer) override;
  void recv(void* buffer, std::int64_t count, DType dtype, int peer) override;
  std::unique_ptr<comm::DeviceCompletion> completion() override;

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  int rank_ = 0, size_ = 1;
};

}  // namespace strata::backends::cuda
