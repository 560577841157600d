// ParallelMlp over 1, 2 and 4 TP ranks against the one-rank MLP built from
// the same kernels: the output and the input gradient on every rank, and
// each rank's gradients equal to its slice of the one-rank gradients (the
// slices cut by model::TensorSplit, as the engine will cut them). Also the
// ledger: one all-reduce of N·C floats forward and one backward.
#include "tensor_parallel/parallel_mlp.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/gelu.hpp"
#include "kernels/matmul.hpp"
#include "model/tensor_split.hpp"
#include "tp_test_support.hpp"

namespace strata::tensor_parallel {
namespace {

constexpr std::int64_t kRows = 12, kC = 16, kWide = 4 * kC;

TEST(ParallelMlp, EqualsTheOneRankMlpAndItsGradients) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto input = values(kRows * kC, 0.1, 1.0), dout = values(kRows * kC, 0.7, 0.5);
  const auto fc_w = values(kWide * kC, 1.3, 0.2), fc_b = values(kWide, 2.1, 0.1);
  const auto proj_w = values(kC * kWide, 3.7, 0.2), proj_b = values(kC, 4.3, 0.1);

  // One rank, the whole MLP.
  const auto x = device(input, kRows, kC), wfc = device(fc_w, kWide, kC);
  const auto bfc = device(fc_b, 1, kWide), wproj = device(proj_w, kC, kWide);
  const auto bproj = device(proj_b, 1, kC);
  kernels::MatrixF fc("fc", kRows, kWide), gelu("gelu", kRows, kWide), out("out", kRows, kC);

  kernels::matmul_forward(x, wfc, row(bfc), fc);
  kernels::gelu_forward(fc, gelu);
  kernels::matmul_forward(gelu, wproj, row(bproj), out);
  kernels::MatrixF dwide("dwide", kRows, kWide), dx("dx", kRows, kC);
  kernels::MatrixF dwfc("dwfc", kWide, kC), dbfc("dbfc", 1, kWide);
  kernels::MatrixF dwproj("dwproj", kC, kWide), dbproj("dbproj", 1, kC);
  const auto dy = device(dout, kRows, kC);
  kernels::matmul_backward(dy, gelu, wproj, dwide, dwproj, row(dbproj));
  kernels::gelu_backward(dwide, fc, dwide);
  kernels::matmul_backward(dwide, x, wfc, dx, dwfc, row(dbfc));

  // This rank's pieces.
  const model::TensorSplit column{0, 1, rank, size}, by_row{1, 1, rank, size};
  const std::int64_t wide = kWide / size;
  const auto my_fc_w = device(slice(fc_w, {kWide, kC}, column), wide, kC);
  const auto my_fc_b = device(slice(fc_b, {kWide}, column), 1, wide);
  const auto my_proj_w = device(slice(proj_w, {kC, kWide}, by_row), kC, wide);
  MemoryLedger ledger;
  comm::CommLedger comm_ledger;
  comm::Communicator tp(MPI_COMM_WORLD, "tp", &comm_ledger, std::chrono::seconds(60));
  ParallelMlp mlp(tp, ledger, kRows, kC);
  const ParallelMlp::Weights weights{my_fc_w, row(my_fc_b), my_proj_w, row(bproj)};
  kernels::MatrixF tp_out("tp_out", kRows, kC), tp_dx("tp_dx", kRows, kC);
  kernels::MatrixF g_fc_w("g_fc_w", wide, kC), g_fc_b("g_fc_b", 1, wide);
  kernels::MatrixF g_proj_w("g_proj_w", kC, wide), g_proj_b("g_proj_b", 1, kC);
  mlp.forward(x, weights, tp_out);
  EXPECT_EQ(comm_ledger.total("tp").calls, size > 1 ? 1 : 0) << "one all-reduce forward";
  mlp.backward(dy, weights, {g_fc_w, row(g_fc_b), g_proj_w, row(g_proj_b)}, tp_dx);

  expect_close(host(tp_out), host(out), "output", rank);
  expect_close(host(tp_dx), host(dx), "input gradient", rank);
  expect_close(host(g_fc_w), slice(host(dwfc), {kWide, kC}, column), "c_fc weight grad", rank);
  expect_close(host(g_fc_b), slice(host(dbfc), {kWide}, column), "c_fc bias grad", rank);
  expect_close(host(g_proj_w), slice(host(dwproj), {kC, kWide}, by_row), "c_proj weight grad",
               rank);
  expect_close(host(g_proj_b), host(dbproj), "c_proj bias grad (replicated)", rank);
  if (size > 1) {
    const comm::CommCount all = comm_ledger.total("tp", comm::CommOp::all_reduce);
    EXPECT_EQ(all.calls, 2);
    EXPECT_EQ(all.payload_bytes, 2 * kRows * kC * 4) << "N·C floats each way";
  }
}

}  // namespace
}  // namespace strata::tensor_parallel
