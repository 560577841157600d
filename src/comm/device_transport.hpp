// DeviceTransport: a vendor collective library (NCCL on CUDA, RCCL on HIP)
// that a Communicator hands its buffer operations to when the buffers live
// in GPU memory. The Communicator still checks every call, counts it in the
// CommLedger and watches it with the same deadline; a transport only
// enqueues the operation on its stream and says when what it enqueued has
// completed. Implementations live in src/backends (DESIGN.md), so the comm
// layer compiles without any GPU toolkit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"

namespace strata::comm {

enum class ReduceOp { sum, max };

// Completion of everything a transport had enqueued when it was made.
class DeviceCompletion {
 public:
  virtual ~DeviceCompletion() = default;
  // True once complete; never blocks. Throws an Error naming the library's
  // message when the operation failed asynchronously.
  virtual bool done() = 0;
};

class DeviceTransport {
 public:
  virtual ~DeviceTransport() = default;
  // "nccl", "rccl": for messages.
  virtual std::string name() const = 0;

  // The semantics of the Communicator calls of the same names; buffers are
  // device memory. Point-to-point calls match in call order (vendor
  // libraries have no tags).
  virtual void all_reduce(void* buffer, std::int64_t count, DType dtype, ReduceOp op) = 0;
  virtual void reduce_scatter(const void* send, void* recv, std::int64_t recv_count,
                              DType dtype) = 0;
  virtual void all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype) = 0;
  virtual void all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                            const std::vector<std::int64_t>& send_displs, void* recv,
                            const std::vector<std::int64_t>& recv_counts,
                            const std::vector<std::int64_t>& recv_displs, DType dtype) = 0;
  virtual void broadcast(void* buffer, std::int64_t count, DType dtype, int root) = 0;
  virtual void send(const void* buffer, std::int64_t count, DType dtype, int peer) = 0;
  virtual void recv(void* buffer, std::int64_t count, DType dtype, int peer) = 0;

  virtual std::unique_ptr<DeviceCompletion> completion() = 0;
};

}  // namespace strata::comm
