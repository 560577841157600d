// The Communicator's device-transport path (NCCL and RCCL plug in there) on
// a stand-in transport: host memory, the operations made by MPI on a
// communicator of its own, and a completion that reports done only after a
// few polls, as a GPU stream would. Every operation gives what the MPI path
// gives, the ledger counts the same calls and bytes, started calls return a
// Request that completes through the transport, and scalar reductions stay
// on MPI.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "comm/device_transport.hpp"

namespace strata::comm {
namespace {

class CountdownCompletion final : public DeviceCompletion {
 public:
  explicit CountdownCompletion(int polls, int* finished) : left_(polls), finished_(finished) {}
  bool done() override {
    if (left_ == 0) return true;
    if (--left_ > 0) return false;
    ++*finished_;  // the poll that saw it finish
    return true;
  }

 private:
  int left_;
  int* finished_;
};

class HostLoopbackTransport final : public DeviceTransport {
 public:
  HostLoopbackTransport() { MPI_Comm_dup(MPI_COMM_WORLD, &comm_); }
  ~HostLoopbackTransport() override { MPI_Comm_free(&comm_); }
  std::string name() const override { return "loopback"; }

  void all_reduce(void* buffer, std::int64_t count, DType, ReduceOp op) override {
    ++enqueued;
    MPI_Allreduce(MPI_IN_PLACE, buffer, static_cast<int>(count), MPI_FLOAT,
                  op == ReduceOp::sum ? MPI_SUM : MPI_MAX, comm_);
  }
  void reduce_scatter(const void* send, void* recv, std::int64_t recv_count, DType) override {
    ++enqueued;
    MPI_Reduce_scatter_block(send, recv, static_cast<int>(recv_count), MPI_FLOAT, MPI_SUM, comm_);
  }
  void all_gather(const void* send, void* recv, std::int64_t send_count, DType) override {
    ++enqueued;
    MPI_Allgather(send, static_cast<int>(send_count), MPI_FLOAT, recv, static_cast<int>(send_count),
                  MPI_FLOAT, comm_);
  }
  void all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                    const std::vector<std::int64_t>& send_displs, void* recv,
                    const std::vector<std::int64_t>& recv_counts,
                    const std::vector<std::int64_t>& recv_displs, DType) override {
    ++enqueued;
    auto ints = [](const std::vector<std::int64_t>& v) {
      return std::vector<int>(v.begin(), v.end());
    };
    const auto sc = ints(send_counts), sd = ints(send_displs), rc = ints(recv_counts),
               rd = ints(recv_displs);
    MPI_Alltoallv(send, sc.data(), sd.data(), MPI_FLOAT, recv, rc.data(), rd.data(), MPI_FLOAT,
                  comm_);
  }
  void broadcast(void* buffer, std::int64_t count, DType, int root) override {
    ++enqueued;
    MPI_Bcast(buffer, static_cast<int>(count), MPI_FLOAT, root, comm_);
  }
  void send(const void* buffer, std::int64_t count, DType, int peer) override {
    ++enqueued;
    MPI_Send(buffer, static_cast<int>(count), MPI_FLOAT, peer, 0, comm_);
  }
  void recv(void* buffer, std::int64_t count, DType, int peer) override {
    ++enqueued;
    MPI_Recv(buffer, static_cast<int>(count), MPI_FLOAT, peer, 0, comm_, MPI_STATUS_IGNORE);
  }
  std::unique_ptr<DeviceCompletion> completion() override {
    return std::make_unique<CountdownCompletion>(3, &finished);
  }

  int enqueued = 0, finished = 0;

 private:
  MPI_Comm comm_;
};

std::vector<float> pattern(int rank, std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(rank * 100 + static_cast<int>(i));
  return v;
}

// Runs every buffer operation once on `comm`; returns the buffers it filled.
std::vector<std::vector<float>> exercise(Communicator& comm) {
  const int p = comm.size(), r = comm.rank();
  const std::int64_t n = 6;
  std::vector<std::vector<float>> out;
  auto reduced = pattern(r, n);
  comm.all_reduce(reduced.data(), n, DType::fp32);
  out.push_back(reduced);
  auto maxed = pattern(r, n);
  comm.start_all_reduce(maxed.data(), n, DType::fp32, ReduceOp::max).wait();
  out.push_back(maxed);
  const auto blocks = pattern(r, static_cast<std::size_t>(n * p));
  std::vector<float> scattered(n);
  comm.reduce_scatter(blocks.data(), scattered.data(), n, DType::fp32);
  out.push_back(scattered);
  std::vector<float> gathered(static_cast<std::size_t>(n * p));
  comm.start_all_gather(pattern(r, n).data(), gathered.data(), n, DType::fp32).wait();
  out.push_back(gathered);
  std::vector<float> exchanged(static_cast<std::size_t>(n * p));
  comm.all_to_all(blocks.data(), exchanged.data(), n, DType::fp32);
  out.push_back(exchanged);
  auto broadcast = pattern(r, n);
  comm.broadcast(broadcast.data(), n, DType::fp32, p - 1);
  out.push_back(broadcast);
  if (p > 1) {  // a ring: send to the next rank, receive from the previous
    std::vector<float> received(n);
    const auto mine = pattern(r, n);
    if (r % 2 == 0) {
      comm.send(mine.data(), n, DType::fp32, (r + 1) % p, 5);
      comm.recv(received.data(), n, DType::fp32, (r + p - 1) % p, 5);
    } else {
      comm.recv(received.data(), n, DType::fp32, (r + p - 1) % p, 5);
      comm.send(mine.data(), n, DType::fp32, (r + 1) % p, 5);
    }
    out.push_back(received);
  }
  return out;
}

TEST(DeviceTransport, EveryOperationMatchesTheMpiPathAndIsCountedAlike) {
  CommLedger mpi_ledger, device_ledger;
  Communicator mpi(MPI_COMM_WORLD, "dp", &mpi_ledger, std::chrono::seconds(60));
  Communicator device(MPI_COMM_WORLD, "dp", &device_ledger, std::chrono::seconds(60));
  auto transport = std::make_shared<HostLoopbackTransport>();
  device.use_device_transport(transport);
  ASSERT_EQ(device.device_transport(), transport.get());

  const auto want = exercise(mpi);
  const auto got = exercise(device);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "operation " << i;

  const int operations = static_cast<int>(want.size()) + (mpi.size() > 1 ? 1 : 0);
  EXPECT_EQ(transport->enqueued, operations) << "every buffer operation went to the transport";
  EXPECT_EQ(transport->finished, operations) << "and was waited for through its completion";
  for (const CommOp op : {CommOp::all_reduce, CommOp::reduce_scatter, CommOp::all_gather,
                          CommOp::all_to_all, CommOp::broadcast, CommOp::send, CommOp::recv}) {
    const CommCount a = mpi_ledger.total("dp", op), b = device_ledger.total("dp", op);
    EXPECT_EQ(b.calls, a.calls);
    EXPECT_EQ(b.payload_bytes, a.payload_bytes);
    EXPECT_EQ(b.wire_bytes, a.wire_bytes);
  }
}

TEST(DeviceTransport, StartedCallsCompleteThroughTheTransportAndScalarsStayOnMpi) {
  Communicator device(MPI_COMM_WORLD, "dp", nullptr, std::chrono::seconds(60));
  auto transport = std::make_shared<HostLoopbackTransport>();
  device.use_device_transport(transport);
  std::vector<float> buffer(4, 1.0f);
  Request request = device.start_all_reduce(buffer.data(), 4, DType::fp32);
  EXPECT_TRUE(request.active());
  EXPECT_FALSE(request.test()) << "the completion needs three polls";
  EXPECT_FALSE(request.test());
  EXPECT_TRUE(request.test());
  EXPECT_FALSE(request.active());
  EXPECT_EQ(buffer[0], static_cast<float>(device.size()));
  const int before = transport->enqueued;
  EXPECT_EQ(device.all_reduce_sum(2.0), 2.0 * device.size());
  EXPECT_EQ(transport->enqueued, before) << "a host scalar does not go to the device library";
}

}  // namespace
}  // namespace strata::comm
