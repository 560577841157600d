// perf_collectives: our bucketed reduce-scatter and all-gather (the payload
// cut into --bucket-element buckets) against ONE raw MPI_Reduce_scatter_block
// / MPI_Allgather of the same total size, in ZeRO's two ways of moving them:
// "started", every bucket started through Communicator and then all waited
// (overlap_comm, stage-3 prefetch), and "blocking", bucket after bucket
// through Communicator's blocking calls (the default at stages 0-2 and every
// end-of-backward flush). Prints algorithm bandwidth (the ledger's wire bytes
// per second) and each ratio to raw; the last column is one raw MPI_I* call
// + MPI_Wait, to tell the non-blocking algorithm's cost from ours. An MPI program, run it under
// mpirun:
//   mpirun --oversubscribe -np 2 perf_collectives [--bucket 8388608] [--repeats 7]
// Each figure is the median over repeats of the slowest rank's time, with a
// barrier before every repeat and one warm-up run not counted.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "comm/comm_ledger.hpp"
#include "comm/communicator.hpp"
#include "core/dtype.hpp"

namespace {

using strata::DType;
using strata::comm::CommOp;
using strata::comm::Communicator;
using strata::comm::Request;

constexpr std::int64_t kMi = std::int64_t{1} << 20;

struct Options {
  std::int64_t bucket = 8 * kMi;
  int repeats = 7;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--bucket") == 0) options.bucket = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeats") == 0) options.repeats = std::atoi(argv[i + 1]);
  }
  options.bucket = std::max<std::int64_t>(options.bucket, 1);
  options.repeats = std::max(options.repeats, 1);
  return options;
}

// The raw baseline needs a bf16 sum too; MPI has none, so this is the
// plainest one (the same widen-add-round as ours).
void raw_bf16_sum(void* in, void* inout, int* length, MPI_Datatype*) {
  const auto* a = static_cast<const strata::bf16_t*>(in);
  auto* b = static_cast<strata::bf16_t*>(inout);
  for (int i = 0; i < *length; ++i)
    b[i] = strata::to_bf16(strata::widen(a[i]) + strata::widen(b[i]));
}

void fill_small_integers(std::vector<char>& bytes, DType dtype) {
  if (dtype == DType::fp32) {
    auto* values = reinterpret_cast<float*>(bytes.data());
    for (std::size_t i = 0; i < bytes.size() / 4; ++i) values[i] = static_cast<float>(i % 7);
  } else {
    auto* values = reinterpret_cast<strata::bf16_t*>(bytes.data());
    for (std::size_t i = 0; i < bytes.size() / 2; ++i)
      values[i] = strata::to_bf16(static_cast<float>(i % 7));
  }
}

// Median over repeats of the slowest rank's seconds for one run of `body`.
double median_seconds(const Options& options, const std::function<void()>& body) {
  std::vector<double> times;
  for (int repeat = -1; repeat < options.repeats; ++repeat) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    body();
    double local = MPI_Wtime() - start, slowest = 0.0;
    MPI_Allreduce(&local, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (repeat >= 0) times.push_back(slowest);  // repeat -1 warms up
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

struct Row {
  const char* op = "";
  DType dtype = DType::fp32;
  std::int64_t elements = 0;
  std::int64_t wire_bytes = 0;
  double ours_s = 0.0;
  double blocking_s = 0.0;
  double raw_s = 0.0;
  double raw_nonblocking_s = 0.0;
};

void print(const Row& row) {
  const double ours_bw = static_cast<double>(row.wire_bytes) / row.ours_s / 1e9;
  const double blocking_bw = static_cast<double>(row.wire_bytes) / row.blocking_s / 1e9;
  const double raw_bw = static_cast<double>(row.wire_bytes) / row.raw_s / 1e9;
  const double raw_nonblocking_bw =
      static_cast<double>(row.wire_bytes) / row.raw_nonblocking_s / 1e9;
  std::printf("%-15s %-5s %5lldM %9.2f %10.2f %10.2f %10.2f %10.2f %8.2f %8.2f %12.2f\n", row.op,
              std::string(strata::name(row.dtype)).c_str(),
              static_cast<long long>(row.elements / kMi), row.ours_s * 1e3, ours_bw, blocking_bw,
              row.raw_s * 1e3, raw_bw, ours_bw / raw_bw, blocking_bw / raw_bw, raw_nonblocking_bw);
}

void run(const Options& options, DType dtype, std::int64_t elements, Communicator& comm,
         MPI_Op raw_sum) {
  const int n = comm.size();
  const std::int64_t element = strata::size_in_bytes(dtype);
  const std::int64_t bucket = std::min(options.bucket, elements);
  if (elements % bucket != 0 || bucket % n != 0) {
    if (comm.rank() == 0) {
      std::fprintf(stderr,
                   "skipping %lld elements: bucket %lld must divide it and be a multiple "
                   "of %d ranks\n",
                   static_cast<long long>(elements), static_cast<long long>(bucket), n);
    }
    return;
  }
  const std::int64_t shard = elements / n;
  const std::int64_t buckets = elements / bucket;
  const MPI_Datatype type = dtype == DType::fp32 ? MPI_FLOAT : MPI_UINT16_T;
  std::vector<char> full(static_cast<std::size_t>(elements * element));
  std::vector<char> part(static_cast<std::size_t>(shard * element));
  // Small integers: exact in both formats, so no subnormal, NaN or Inf
  // slows the arithmetic down.
  fill_small_integers(full, dtype);
  fill_small_integers(part, dtype);

  Row scatter;
  scatter.op = "reduce_scatter";
  scatter.dtype = dtype;
  scatter.elements = elements;
  scatter.wire_bytes = strata::comm::wire_bytes_for(CommOp::reduce_scatter, elements, element, n);
  scatter.ours_s = median_seconds(options, [&] {
    std::vector<Request> started;
    for (std::int64_t k = 0; k < buckets; ++k) {
      started.push_back(comm.start_reduce_scatter(full.data() + k * bucket * element,
                                                  part.data() + k * (bucket / n) * element,
                                                  bucket / n, dtype));
    }
    for (Request& request : started) request.wait();
  });
  scatter.blocking_s = median_seconds(options, [&] {
    for (std::int64_t k = 0; k < buckets; ++k)
      comm.reduce_scatter(full.data() + k * bucket * element,
                          part.data() + k * (bucket / n) * element, bucket / n, dtype);
  });
  scatter.raw_s = median_seconds(options, [&] {
    MPI_Reduce_scatter_block(full.data(), part.data(), static_cast<int>(shard), type, raw_sum,
                             comm.mpi());
  });
  scatter.raw_nonblocking_s = median_seconds(options, [&] {
    MPI_Request request;
    MPI_Ireduce_scatter_block(full.data(), part.data(), static_cast<int>(shard), type, raw_sum,
                              comm.mpi(), &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  });

  Row gather;
  gather.op = "all_gather";
  gather.dtype = dtype;
  gather.elements = elements;
  gather.wire_bytes = strata::comm::wire_bytes_for(CommOp::all_gather, elements, element, n);
  gather.ours_s = median_seconds(options, [&] {
    std::vector<Request> started;
    for (std::int64_t k = 0; k < buckets; ++k) {
      started.push_back(comm.start_all_gather(part.data() + k * (bucket / n) * element,
                                              full.data() + k * bucket * element, bucket / n,
                                              dtype));
    }
    for (Request& request : started) request.wait();
  });
  gather.blocking_s = median_seconds(options, [&] {
    for (std::int64_t k = 0; k < buckets; ++k)
      comm.all_gather(part.data() + k * (bucket / n) * element, full.data() + k * bucket * element,
                      bucket / n, dtype);
  });
  gather.raw_s = median_seconds(options, [&] {
    MPI_Allgather(part.data(), static_cast<int>(shard), type, full.data(), static_cast<int>(shard),
                  type, comm.mpi());
  });
  gather.raw_nonblocking_s = median_seconds(options, [&] {
    MPI_Request request;
    MPI_Iallgather(part.data(), static_cast<int>(shard), type, full.data(), static_cast<int>(shard),
                   type, comm.mpi(), &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  });
  if (comm.rank() == 0) {
    print(scatter);
    print(gather);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  {
    const Options options = parse(argc, argv);
    Communicator comm(MPI_COMM_WORLD, "world", nullptr, std::chrono::minutes(10));
    MPI_Op bf16_sum = MPI_OP_NULL;
    MPI_Op_create(&raw_bf16_sum, 1, &bf16_sum);
    if (comm.rank() == 0) {
      std::printf("perf_collectives: %d ranks, bucket %lld elements, median of %d repeats\n",
                  comm.size(), static_cast<long long>(options.bucket), options.repeats);
      std::printf("%-15s %-5s %6s %9s %10s %10s %10s %10s %8s %8s %12s\n", "op", "dtype", "elems",
                  "start ms", "start GB/s", "block GB/s", "raw ms", "raw GB/s", "start/raw",
                  "blk/raw", "raw-nb GB/s");
    }
    for (DType dtype : {DType::fp32, DType::bf16}) {
      for (std::int64_t elements : {1 * kMi, 8 * kMi, 32 * kMi}) {
        run(options, dtype, elements, comm, dtype == DType::fp32 ? MPI_SUM : bf16_sum);
      }
    }
    MPI_Op_free(&bf16_sum);
  }
  MPI_Finalize();
  return 0;
}
