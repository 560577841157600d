// Communicator: one MPI group (DP, TP, SP, PP, EP, expert-DP or world) with
// the collectives the parallel engines use. Every call is counted in the
// CommLedger and watched: a call that does not finish within the timeout
// aborts the job with a message naming the operation, the group and the rank,
// instead of hanging (DESIGN.md rule 4).
//
// Buffers are host-addressable memory (CPU build) of `count` elements of
// `dtype`. bf16 and fp16 payloads travel as 2-byte elements and are summed in
// fp32 arithmetic (each pairwise combine widens, adds, rounds to nearest
// even), so the bytes on the wire are the real low-precision ones.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "comm/comm_ledger.hpp"
#include "comm/device_transport.hpp"
#include "core/dtype.hpp"

namespace strata::comm {

// A started non-blocking operation. wait() returns when it has completed (or
// aborts the job at the timeout); test() reports completion without blocking
// and also drives MPI's progress, which is how overlap with compute happens
// on MPI libraries without a progress thread. Move-only; destroying an
// unfinished request waits for it.
class Request {
 public:
  // Defined out of line: State is complete only in the .cpp, and a
  // constructor may destroy its members (unique_ptr<State>) on the way out.
  Request();
  Request(Request&&) noexcept;
  Request& operator=(Request&&) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  void wait();
  bool test();
  bool active() const noexcept;

  // What a call carries for MPI and for the watchdog's message; defined in
  // comm/impl/request_state.hpp, for the comm library's own files.
  struct State;

 private:
  friend class Communicator;
  explicit Request(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Communicator {
 public:
  // Wraps (does not own) comm. group: the name used in the ledger and in
  // watchdog messages ("dp", "tp", "world", ...). ledger may be null (not
  // counted). timeout: 0 means wait forever.
  Communicator(MPI_Comm comm, std::string group, CommLedger* ledger,
               std::chrono::milliseconds timeout);

  MPI_Comm mpi() const noexcept { return comm_; }
  const std::string& group() const noexcept { return group_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  CommLedger* ledger() const noexcept { return ledger_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

  // From here on, buffer operations go to `transport` (NCCL, RCCL: device
  // buffers), still counted and watched here; scalar reductions stay on
  // MPI. The transport must span exactly this group, in its rank order.
  void use_device_transport(std::shared_ptr<DeviceTransport> transport);
  const DeviceTransport* device_transport() const noexcept { return device_.get(); }

  // In place: buffer holds this rank's contribution and receives the result.
  void all_reduce(void* buffer, std::int64_t count, DType dtype, ReduceOp op = ReduceOp::sum);
  Request start_all_reduce(void* buffer, std::int64_t count, DType dtype,
                           ReduceOp op = ReduceOp::sum);

  // send: size() blocks of recv_count elements, block r for rank r; recv gets
  // the sum of every rank's block rank().
  void reduce_scatter(const void* send, void* recv, std::int64_t recv_count, DType dtype);
  Request start_reduce_scatter(const void* send, void* recv, std::int64_t recv_count, DType dtype);

  // recv gets size() blocks of send_count elements, block r from rank r.
  // send may alias recv's block rank() (in-place gather).
  void all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype);
  Request start_all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype);

  // Block r of send (count elements) goes to rank r; block r of recv comes from it.
  void all_to_all(const void* send, void* recv, std::int64_t count, DType dtype);
  Request start_all_to_all(const void* send, void* recv, std::int64_t count, DType dtype);
  // Per-rank counts and displacements, in elements.
  void all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                    const std::vector<std::int64_t>& send_displs, void* recv,
                    const std::vector<std::int64_t>& recv_counts,
                    const std::vector<std::int64_t>& recv_displs, DType dtype);
  Request start_all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                             const std::vector<std::int64_t>& send_displs, void* recv,
                             const std::vector<std::int64_t>& recv_counts,
                             const std::vector<std::int64_t>& recv_displs, DType dtype);

  void broadcast(void* buffer, std::int64_t count, DType dtype, int root);
  Request start_broadcast(void* buffer, std::int64_t count, DType dtype, int root);

  void send(const void* buffer, std::int64_t count, DType dtype, int dest, int tag);
  void recv(void* buffer, std::int64_t count, DType dtype, int source, int tag);
  Request start_send(const void* buffer, std::int64_t count, DType dtype, int dest, int tag);
  Request start_recv(void* buffer, std::int64_t count, DType dtype, int source, int tag);

  // A scalar sum in double across the group (norms, loss means, overflow
  // flags); counted like any all-reduce.
  double all_reduce_sum(double value);
  double all_reduce_max(double value);

 private:
  // Counts one call in the ledger and makes the state of its request, with
  // what the watchdog names it by (operation, element count and type, peer
  // or root); the caller then starts the MPI operation into state->request.
  std::unique_ptr<Request::State> begin(const char* operation, CommOp op, std::int64_t count,
                                        std::string_view dtype, std::int64_t payload_bytes,
                                        std::int64_t wire_bytes, std::string detail = {}) const;

  // Each operation's one body, for both forms: Mode::start makes the
  // non-blocking MPI call and returns its Request; Mode::block makes the
  // blocking call under the watchdog thread and returns an empty Request.
  // With a device transport, `device` enqueues the operation there instead,
  // and the Request (or the blocking wait) polls its completion.
  enum class Mode { start, block };
  template <class Start, class Block, class Device>
  Request issue(Mode mode, std::unique_ptr<Request::State> state, Start start, Block block,
                Device device);
  Request issue_all_reduce(Mode mode, void* buffer, std::int64_t count, DType dtype, ReduceOp op);
  Request issue_reduce_scatter(Mode mode, const void* send, void* recv, std::int64_t recv_count,
                               DType dtype);
  Request issue_all_gather(Mode mode, const void* send, void* recv, std::int64_t send_count,
                           DType dtype);
  Request issue_all_to_all(Mode mode, const void* send, void* recv, std::int64_t count,
                           DType dtype);
  Request issue_all_to_all_v(Mode mode, const void* send,
                             const std::vector<std::int64_t>& send_counts,
                             const std::vector<std::int64_t>& send_displs, void* recv,
                             const std::vector<std::int64_t>& recv_counts,
                             const std::vector<std::int64_t>& recv_displs, DType dtype);
  Request issue_broadcast(Mode mode, void* buffer, std::int64_t count, DType dtype, int root);
  Request issue_send(Mode mode, const void* buffer, std::int64_t count, DType dtype, int dest,
                     int tag);
  Request issue_recv(Mode mode, void* buffer, std::int64_t count, DType dtype, int source, int tag);
  double all_reduce_scalar(double value, MPI_Op op);

  MPI_Comm comm_;
  std::string group_;
  CommLedger* ledger_;
  std::chrono::milliseconds timeout_;
  int rank_ = 0;
  int size_ = 1;
  std::shared_ptr<DeviceTransport> device_;
};

}  // namespace strata::comm
