// Communicator: the collectives and point-to-point calls of one MPI group.
// Each operation has one body that counts it in the ledger once and then
// makes one MPI call: the non-blocking one for start_*, which Request waits on
// under the watchdog, or the blocking one under a WatchedCall. The blocking
// forms do not start-and-wait: MPI's blocking collectives run tuned
// algorithms, its non-blocking ones a generic schedule (docs/comm.md).
#include "comm/communicator.hpp"

#include <climits>
#include <numeric>
#include <utility>

#include "comm/impl/mpi_types.hpp"
#include "comm/impl/request_state.hpp"
#include "comm/impl/watchdog.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace strata::comm {

namespace {

// MPI counts and displacements are int. A count beyond INT_MAX is refused
// with an Error rather than carried by a derived datatype: no bucket the
// engines make comes near 2^31 elements (8 GiB of fp32), and derived types
// would complicate the user-defined bf16/fp16 reductions for no gain.
int mpi_int(std::int64_t value, const char* what, const char* operation, const std::string& group) {
  if (value >= 0 && value <= INT_MAX) return static_cast<int>(value);
  throw STRATA_ERROR(std::string(what) + " = " + std::to_string(value) +
                         " is outside what one MPI call takes (0 to " + std::to_string(INT_MAX) +
                         ")",
                     std::string(operation) + " on group '" + group + "'",
                     value < 0 ? "this is a bug in the caller: counts cannot be negative"
                               : "split the buffer into smaller buckets (for gradients, lower "
                                 "[zero] reduce_bucket_size)");
}

void check_rank(int rank, int size, const char* role, const char* operation,
                const std::string& group) {
  if (rank >= 0 && rank < size) return;
  throw STRATA_ERROR(std::string(role) + " " + std::to_string(rank) +
                         " is not a rank of a group of " + std::to_string(size),
                     std::string(operation) + " on group '" + group + "'",
                     "this is a bug in the caller: pass a rank of this group (0 to size()-1)");
}

}  // namespace

Communicator::Communicator(MPI_Comm comm, std::string group, CommLedger* ledger,
                           std::chrono::milliseconds timeout)
    : comm_(comm), group_(std::move(group)), ledger_(ledger), timeout_(timeout) {
  if (comm_ == MPI_COMM_NULL) {
    throw STRATA_ERROR("the MPI communicator is MPI_COMM_NULL", "group '" + group_ + "'",
                       "this rank is not a member of the group; build Communicators only for "
                       "the groups this rank belongs to");
  }
  if (timeout_.count() < 0) {
    throw STRATA_ERROR("negative timeout (" + std::to_string(timeout_.count()) + " ms)",
                       "[comm] timeout_s", "give a timeout of at least 1 s, or 0 for none");
  }
  STRATA_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  STRATA_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

std::unique_ptr<Request::State> Communicator::begin(const char* operation, CommOp op,
                                                    std::int64_t count, std::string_view dtype,
                                                    std::int64_t payload_bytes,
                                                    std::int64_t wire_bytes,
                                                    std::string detail) const {
  if (ledger_) ledger_->record(group_, op, payload_bytes, wire_bytes);
  auto state = std::make_unique<Request::State>();
  state->operation = operation;
  state->count = count;
  state->dtype = std::string(dtype);
  state->detail = std::move(detail);
  state->group = group_;
  state->group_rank = rank_;
  state->group_size = size_;
  state->timeout = timeout_;
  return state;
}

void Communicator::use_device_transport(std::shared_ptr<DeviceTransport> transport) {
  device_ = std::move(transport);
}

template <class Start, class Block, class Device>
Request Communicator::issue(Mode mode, std::unique_ptr<Request::State> state, Start start,
                            Block block, Device device) {
  if (device_) {
    device();
    state->device = device_->completion();
    if (mode == Mode::start) return Request(std::move(state));
    state->wait_or_abort();
    return Request();
  }
  if (mode == Mode::start) {
    detail::check_mpi(start(&state->request), state->operation.c_str(), __FILE__, __LINE__);
    return Request(std::move(state));
  }
  const impl::WatchedCall watched(*state);
  detail::check_mpi(block(), state->operation.c_str(), __FILE__, __LINE__);
  return Request();
}

// ---- all-reduce ------------------------------------------------------------

Request Communicator::issue_all_reduce(Mode mode, void* buffer, std::int64_t count, DType dtype,
                                       ReduceOp op) {
  const int n = mpi_int(count, "count", "all_reduce", group_);
  const std::int64_t element = size_in_bytes(dtype);
  auto state = begin("all_reduce", CommOp::all_reduce, count, strata::name(dtype), count * element,
                     wire_bytes_for(CommOp::all_reduce, count, element, size_));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  const MPI_Op mpi_op = impl::mpi_op(dtype, op);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) {
        return MPI_Iallreduce(MPI_IN_PLACE, buffer, n, type, mpi_op, comm_, r);
      },
      [&] { return MPI_Allreduce(MPI_IN_PLACE, buffer, n, type, mpi_op, comm_); },
      [&] { device_->all_reduce(buffer, count, dtype, op); });
}

Request Communicator::start_all_reduce(void* buffer, std::int64_t count, DType dtype, ReduceOp op) {
  return issue_all_reduce(Mode::start, buffer, count, dtype, op);
}

void Communicator::all_reduce(void* buffer, std::int64_t count, DType dtype, ReduceOp op) {
  issue_all_reduce(Mode::block, buffer, count, dtype, op);
}

double Communicator::all_reduce_scalar(double value, MPI_Op op) {
  constexpr std::int64_t kBytes = sizeof(double);
  auto state = begin("all_reduce", CommOp::all_reduce, 1, "fp64", kBytes,
                     wire_bytes_for(CommOp::all_reduce, 1, kBytes, size_));
  // Blocking only: no started form to share a body with.
  const impl::WatchedCall watched(*state);
  detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, op, comm_),
                    state->operation.c_str(), __FILE__, __LINE__);
  return value;
}

double Communicator::all_reduce_sum(double value) { return all_reduce_scalar(value, MPI_SUM); }

double Communicator::all_reduce_max(double value) { return all_reduce_scalar(value, MPI_MAX); }

// ---- reduce-scatter and all-gather -----------------------------------------

Request Communicator::issue_reduce_scatter(Mode mode, const void* send, void* recv,
                                           std::int64_t recv_count, DType dtype) {
  const int n = mpi_int(recv_count, "recv_count", "reduce_scatter", group_);
  const std::int64_t element = size_in_bytes(dtype);
  const std::int64_t payload = recv_count * size_;
  auto state =
      begin("reduce_scatter", CommOp::reduce_scatter, payload, strata::name(dtype),
            payload * element, wire_bytes_for(CommOp::reduce_scatter, payload, element, size_));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  const MPI_Op sum = impl::mpi_op(dtype, ReduceOp::sum);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) { return MPI_Ireduce_scatter_block(send, recv, n, type, sum, comm_, r); },
      [&] { return MPI_Reduce_scatter_block(send, recv, n, type, sum, comm_); },
      [&] { device_->reduce_scatter(send, recv, recv_count, dtype); });
}

Request Communicator::start_reduce_scatter(const void* send, void* recv, std::int64_t recv_count,
                                           DType dtype) {
  return issue_reduce_scatter(Mode::start, send, recv, recv_count, dtype);
}

void Communicator::reduce_scatter(const void* send, void* recv, std::int64_t recv_count,
                                  DType dtype) {
  issue_reduce_scatter(Mode::block, send, recv, recv_count, dtype);
}

Request Communicator::issue_all_gather(Mode mode, const void* send, void* recv,
                                       std::int64_t send_count, DType dtype) {
  const int n = mpi_int(send_count, "send_count", "all_gather", group_);
  const std::int64_t element = size_in_bytes(dtype);
  const std::int64_t payload = send_count * size_;
  auto state =
      begin("all_gather", CommOp::all_gather, payload, strata::name(dtype), payload * element,
            wire_bytes_for(CommOp::all_gather, payload, element, size_));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  // MPI forbids overlapping send and receive buffers; a send that already
  // sits in its block of recv is exactly MPI_IN_PLACE.
  const void* own_block = static_cast<const char*>(recv) + rank_ * send_count * element;
  const bool in_place = send == own_block;
  const void* from = in_place ? MPI_IN_PLACE : send;
  const int from_count = in_place ? 0 : n;
  const MPI_Datatype from_type = in_place ? MPI_DATATYPE_NULL : type;
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) {
        return MPI_Iallgather(from, from_count, from_type, recv, n, type, comm_, r);
      },
      [&] { return MPI_Allgather(from, from_count, from_type, recv, n, type, comm_); },
      [&] { device_->all_gather(send, recv, send_count, dtype); });
}

Request Communicator::start_all_gather(const void* send, void* recv, std::int64_t send_count,
                                       DType dtype) {
  return issue_all_gather(Mode::start, send, recv, send_count, dtype);
}

void Communicator::all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype) {
  issue_all_gather(Mode::block, send, recv, send_count, dtype);
}

// ---- all-to-all ------------------------------------------------------------

Request Communicator::issue_all_to_all(Mode mode, const void* send, void* recv, std::int64_t count,
                                       DType dtype) {
  const int n = mpi_int(count, "count", "all_to_all", group_);
  const std::int64_t element = size_in_bytes(dtype);
  const std::int64_t payload = count * size_;
  auto state =
      begin("all_to_all", CommOp::all_to_all, payload, strata::name(dtype), payload * element,
            wire_bytes_for(CommOp::all_to_all, payload, element, size_));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) { return MPI_Ialltoall(send, n, type, recv, n, type, comm_, r); },
      [&] { return MPI_Alltoall(send, n, type, recv, n, type, comm_); },
      [&] {
        std::vector<std::int64_t> counts(static_cast<std::size_t>(size_), count), displs;
        for (int r = 0; r < size_; ++r) displs.push_back(r * count);
        device_->all_to_all_v(send, counts, displs, recv, counts, displs, dtype);
      });
}

Request Communicator::start_all_to_all(const void* send, void* recv, std::int64_t count,
                                       DType dtype) {
  return issue_all_to_all(Mode::start, send, recv, count, dtype);
}

void Communicator::all_to_all(const void* send, void* recv, std::int64_t count, DType dtype) {
  issue_all_to_all(Mode::block, send, recv, count, dtype);
}

Request Communicator::issue_all_to_all_v(Mode mode, const void* send,
                                         const std::vector<std::int64_t>& send_counts,
                                         const std::vector<std::int64_t>& send_displs, void* recv,
                                         const std::vector<std::int64_t>& recv_counts,
                                         const std::vector<std::int64_t>& recv_displs,
                                         DType dtype) {
  const std::size_t n = static_cast<std::size_t>(size_);
  for (const auto* list : {&send_counts, &send_displs, &recv_counts, &recv_displs}) {
    if (list->size() != n) {
      throw STRATA_ERROR("a count or displacement list has " + std::to_string(list->size()) +
                             " entries for a group of " + std::to_string(size_) + " ranks",
                         "all_to_all_v on group '" + group_ + "'",
                         "this is a bug in the caller: pass one count and one displacement "
                         "per rank of the group");
    }
  }
  // Laid out as MPI wants them: send counts, send displacements, recv
  // counts, recv displacements, each size() ints.
  std::vector<int> arrays;
  arrays.reserve(4 * n);
  const char* names[] = {"send_counts", "send_displs", "recv_counts", "recv_displs"};
  int which = 0;
  for (const auto* list : {&send_counts, &send_displs, &recv_counts, &recv_displs}) {
    for (std::int64_t value : *list) {
      arrays.push_back(mpi_int(value, names[which], "all_to_all_v", group_));
    }
    ++which;
  }
  const std::int64_t element = size_in_bytes(dtype);
  const std::int64_t sent =
      std::accumulate(send_counts.begin(), send_counts.end(), std::int64_t{0});
  // Exact, from the counts: what leaves this rank is all but its own block.
  const std::int64_t wire = (sent - send_counts[static_cast<std::size_t>(rank_)]) * element;
  auto state =
      begin("all_to_all_v", CommOp::all_to_all, sent, strata::name(dtype), sent * element, wire);
  state->counts_and_displacements = std::move(arrays);
  const int* table = state->counts_and_displacements.data();
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) {
        return MPI_Ialltoallv(send, table, table + n, type, recv, table + 2 * n, table + 3 * n,
                              type, comm_, r);
      },
      [&] {
        return MPI_Alltoallv(send, table, table + n, type, recv, table + 2 * n, table + 3 * n, type,
                             comm_);
      },
      [&] {
        device_->all_to_all_v(send, send_counts, send_displs, recv, recv_counts, recv_displs,
                              dtype);
      });
}

Request Communicator::start_all_to_all_v(const void* send,
                                         const std::vector<std::int64_t>& send_counts,
                                         const std::vector<std::int64_t>& send_displs, void* recv,
                                         const std::vector<std::int64_t>& recv_counts,
                                         const std::vector<std::int64_t>& recv_displs,
                                         DType dtype) {
  return issue_all_to_all_v(Mode::start, send, send_counts, send_displs, recv, recv_counts,
                            recv_displs, dtype);
}

void Communicator::all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                                const std::vector<std::int64_t>& send_displs, void* recv,
                                const std::vector<std::int64_t>& recv_counts,
                                const std::vector<std::int64_t>& recv_displs, DType dtype) {
  issue_all_to_all_v(Mode::block, send, send_counts, send_displs, recv, recv_counts, recv_displs,
                     dtype);
}

// ---- broadcast and point-to-point ------------------------------------------

Request Communicator::issue_broadcast(Mode mode, void* buffer, std::int64_t count, DType dtype,
                                      int root) {
  const int n = mpi_int(count, "count", "broadcast", group_);
  check_rank(root, size_, "root", "broadcast", group_);
  const std::int64_t element = size_in_bytes(dtype);
  auto state = begin("broadcast", CommOp::broadcast, count, strata::name(dtype), count * element,
                     wire_bytes_for(CommOp::broadcast, count, element, size_, rank_ == root),
                     "root " + std::to_string(root));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) { return MPI_Ibcast(buffer, n, type, root, comm_, r); },
      [&] { return MPI_Bcast(buffer, n, type, root, comm_); },
      [&] { device_->broadcast(buffer, count, dtype, root); });
}

Request Communicator::start_broadcast(void* buffer, std::int64_t count, DType dtype, int root) {
  return issue_broadcast(Mode::start, buffer, count, dtype, root);
}

void Communicator::broadcast(void* buffer, std::int64_t count, DType dtype, int root) {
  issue_broadcast(Mode::block, buffer, count, dtype, root);
}

Request Communicator::issue_send(Mode mode, const void* buffer, std::int64_t count, DType dtype,
                                 int dest, int tag) {
  const int n = mpi_int(count, "count", "send", group_);
  check_rank(dest, size_, "destination", "send", group_);
  const std::int64_t element = size_in_bytes(dtype);
  auto state = begin("send", CommOp::send, count, strata::name(dtype), count * element,
                     wire_bytes_for(CommOp::send, count, element, size_),
                     "to group rank " + std::to_string(dest) + ", tag " + std::to_string(tag));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) { return MPI_Isend(buffer, n, type, dest, tag, comm_, r); },
      [&] { return MPI_Send(buffer, n, type, dest, tag, comm_); },
      [&] { device_->send(buffer, count, dtype, dest); });
}

Request Communicator::start_send(const void* buffer, std::int64_t count, DType dtype, int dest,
                                 int tag) {
  return issue_send(Mode::start, buffer, count, dtype, dest, tag);
}

Request Communicator::issue_recv(Mode mode, void* buffer, std::int64_t count, DType dtype,
                                 int source, int tag) {
  const int n = mpi_int(count, "count", "recv", group_);
  check_rank(source, size_, "source", "recv", group_);
  const std::int64_t element = size_in_bytes(dtype);
  auto state = begin("recv", CommOp::recv, count, strata::name(dtype), count * element,
                     wire_bytes_for(CommOp::recv, count, element, size_),
                     "from group rank " + std::to_string(source) + ", tag " + std::to_string(tag));
  const MPI_Datatype type = impl::mpi_datatype(dtype);
  return issue(
      mode, std::move(state),
      [&](MPI_Request* r) { return MPI_Irecv(buffer, n, type, source, tag, comm_, r); },
      [&] { return MPI_Recv(buffer, n, type, source, tag, comm_, MPI_STATUS_IGNORE); },
      [&] { device_->recv(buffer, count, dtype, source); });
}

Request Communicator::start_recv(void* buffer, std::int64_t count, DType dtype, int source,
                                 int tag) {
  return issue_recv(Mode::start, buffer, count, dtype, source, tag);
}

void Communicator::send(const void* buffer, std::int64_t count, DType dtype, int dest, int tag) {
  issue_send(Mode::block, buffer, count, dtype, dest, tag);
}

void Communicator::recv(void* buffer, std::int64_t count, DType dtype, int source, int tag) {
  issue_recv(Mode::block, buffer, count, dtype, source, tag);
}

}  // namespace strata::comm
