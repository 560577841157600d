// NcclTransport: MPI bootstrap, NCCL calls on one stream, event completions.
#include "backends/cuda/nccl_transport.hpp"

#include <cstddef>
#include <string>
#include <utility>

#include "backends/cuda/cuda_check.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace strata::backends::cuda {
namespace {

void check_nccl(ncclResult_t status, const char* call) {
  if (status == ncclSuccess) return;
  throw STRATA_ERROR(std::string(call) + " failed: " + ncclGetErrorString(status), "NCCL",
                     "rerun with NCCL_DEBUG=WARN to see NCCL's own reason; under cgroup GPU "
                     "isolation set NCCL_P2P_DISABLE=1 or bind one GPU per rank (docs/gpu.md)");
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::fp32: return ncclFloat32;
    case DType::bf16: return ncclBfloat16;
    case DType::fp16: return ncclFloat16;
  }
  return ncclFloat32;
}

std::size_t elements(std::int64_t count) { return static_cast<std::size_t>(count); }

std::int64_t bytes(DType dtype, std::int64_t elements) {
  return elements * static_cast<std::int64_t>(size_in_bytes(dtype));
}
const char* at(const void* base, DType dtype, std::int64_t element) {
  return static_cast<const char*>(base) + bytes(dtype, element);
}
char* at(void* base, DType dtype, std::int64_t element) {
  return static_cast<char*>(base) + bytes(dtype, element);
}

class EventCompletion final : public comm::DeviceCompletion {
 public:
  EventCompletion(cudaStream_t stream, ncclComm_t comm) : comm_(comm) {
    check_cuda(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(event_, stream), "cudaEventRecord");
  }
  ~EventCompletion() override { cudaEventDestroy(event_); }
  EventCompletion(const EventCompletion&) = delete;
  EventCompletion& operator=(const EventCompletion&) = delete;

  bool done() override {
    ncclResult_t async = ncclSuccess;
    check_nccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
    check_nccl(async, "an NCCL operation (asynchronous error)");
    const cudaError_t status = cudaEventQuery(event_);
    if (status == cudaErrorNotReady) return false;
    check_cuda(status, "cudaEventQuery");
    return true;
  }

 private:
  cudaEvent_t event_ = nullptr;
  ncclComm_t comm_;
};

}  // namespace

NcclTransport::NcclTransport(MPI_Comm comm, int device) {
  STRATA_CHECK_MPI(MPI_Comm_rank(comm, &rank_));
  STRATA_CHECK_MPI(MPI_Comm_size(comm, &size_));
  std::string why;
  const int devices = visible_cuda_devices(&why);
  // Agree before any rank enters NCCL's init, which would wait for the rest.
  int usable = devices > device && device >= 0 ? 1 : 0;
  STRATA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &usable, 1, MPI_INT, MPI_MIN, comm));
  if (!usable)
    throw STRATA_ERROR(devices > device && device >= 0
                           ? "another rank of the group has no usable CUDA device"
                           : "CUDA device " + std::to_string(device) + " is not visible (" +
                                 std::to_string(devices) + " visible" +
                                 (why.empty() ? std::string() : ": " + why) + ")",
                       "NCCL communicator",
                       "run on GPU nodes with one visible GPU per rank (srun --gpus-per-task=1, "
                       "or CUDA_VISIBLE_DEVICES from SLURM_LOCALID; docs/gpu.md), or build "
                       "without STRATA_ENABLE_CUDA_BACKEND for CPU runs");
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id{};
  if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  STRATA_CHECK_MPI(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm));
  check_nccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
  check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
}

NcclTransport::~NcclTransport() {
  if (stream_) cudaStreamSynchronize(stream_);
  if (comm_) ncclCommDestroy(comm_);
  if (stream_) cudaStreamDestroy(stream_);
}

void NcclTransport::all_reduce(void* buffer, std::int64_t count, DType dtype, comm::ReduceOp op) {
  check_nccl(ncclAllReduce(buffer, buffer, elements(count), nccl_type(dtype),
                           op == comm::ReduceOp::sum ? ncclSum : ncclMax, comm_, stream_),
             "ncclAllReduce");
}

void NcclTransport::reduce_scatter(const void* send, void* recv, std::int64_t recv_count,
                                   DType dtype) {
  check_nccl(ncclReduceScatter(send, recv, elements(recv_count), nccl_type(dtype), ncclSum, comm_,
                               stream_),
             "ncclReduceScatter");
}

void NcclTransport::all_gather(const void* send, void* recv, std::int64_t send_count, DType dtype) {
  check_nccl(ncclAllGather(send, recv, elements(send_count), nccl_type(dtype), comm_, stream_),
             "ncclAllGather");
}

// NCCL has no all-to-all: one group of a send and a receive per peer.
void NcclTransport::all_to_all_v(const void* send, const std::vector<std::int64_t>& send_counts,
                                 const std::vector<std::int64_t>& send_displs, void* recv,
                                 const std::vector<std::int64_t>& recv_counts,
                                 const std::vector<std::int64_t>& recv_displs, DType dtype) {
  const ncclDataType_t type = nccl_type(dtype);
  check_nccl(ncclGroupStart(), "ncclGroupStart");
  for (int peer = 0; peer < size_; ++peer) {
    const auto p = static_cast<std::size_t>(peer);
    check_nccl(ncclSend(at(send, dtype, send_displs[p]), elements(send_counts[p]), type, peer,
                        comm_, stream_),
               "ncclSend");
    check_nccl(ncclRecv(at(recv, dtype, recv_displs[p]), elements(recv_counts[p]), type, peer,
                        comm_, stream_),
               "ncclRecv");
  }
  check_nccl(ncclGroupEnd(), "ncclGroupEnd");
}

void NcclTransport::broadcast(void* buffer, std::int64_t count, DType dtype, int root) {
  check_nccl(ncclBroadcast(buffer, buffer, elements(count), nccl_type(dtype), root, comm_, stream_),
             "ncclBroadcast");
}

void NcclTransport::send(const void* buffer, std::int64_t count, DType dtype, int peer) {
  check_nccl(ncclSend(buffer, elements(count), nccl_type(dtype), peer, comm_, stream_), "ncclSend");
}

void NcclTransport::recv(void* buffer, std::int64_t count, DType dtype, int peer) {
  check_nccl(ncclRecv(buffer, elements(count), nccl_type(dtype), peer, comm_, stream_), "ncclRecv");
}

std::unique_ptr<comm::DeviceCompletion> NcclTransport::completion() {
  return std::make_unique<EventCompletion>(stream_, comm_);
}

}  // namespace strata::backends::cuda
