// ParallelAttention over 1, 2 and 4 TP ranks against the one-rank attention
// built from the same kernels (4 heads, so every rank holds whole heads):
// output and input gradient on every rank, each rank's gradients equal to
// its TensorSplit slice of the one-rank gradients, one all-reduce of N·C
// floats each way; and a head count tp does not divide is an input error.
#include "tensor_parallel/parallel_attention.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "kernels/matmul.hpp"
#include "tp_test_support.hpp"

namespace strata::tensor_parallel {
namespace {

constexpr int kBatch = 2, kSeq = 8, kC = 16, kHeads = 4;
constexpr std::int64_t kRows = kBatch * kSeq;

kernels::VectorF scratch(std::size_t floats) {
  return kernels::VectorF(std::string("scratch"), std::max<std::size_t>(floats, 1));
}

TEST(ParallelAttention, EqualsTheOneRankAttentionAndItsGradients) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto input = values(kRows * kC, 0.3, 1.0), dout = values(kRows * kC, 0.9, 0.5);
  const auto qkv_w = values(3 * kC * kC, 1.7, 0.3), qkv_b = values(3 * kC, 2.3, 0.1);
  const auto proj_w = values(kC * kC, 3.1, 0.2), proj_b = values(kC, 4.1, 0.1);

  // One rank, all heads.
  const auto x = device(input, kRows, kC), wqkv = device(qkv_w, 3 * kC, kC);
  const auto bqkv = device(qkv_b, 1, 3 * kC), wproj = device(proj_w, kC, kC);
  const auto bproj = device(proj_b, 1, kC), dy = device(dout, kRows, kC);
  const auto plan = kernels::plan_attention(kBatch, kSeq, kC, kHeads);
  const auto saved = scratch(plan.saved_floats), work = scratch(plan.workspace_floats);
  kernels::MatrixF qkv("qkv", kRows, 3 * kC), atty("atty", kRows, kC), out("out", kRows, kC);
  kernels::matmul_forward(x, wqkv, row(bqkv), qkv);
  kernels::attention_forward(plan, qkv, atty, saved, work);
  kernels::matmul_forward(atty, wproj, row(bproj), out);
  kernels::MatrixF datty("datty", kRows, kC), dqkv("dqkv", kRows, 3 * kC), dx("dx", kRows, kC);
  kernels::MatrixF dwqkv("dwqkv", 3 * kC, kC), dbqkv("dbqkv", 1, 3 * kC);
  kernels::MatrixF dwproj("dwproj", kC, kC), dbproj("dbproj", 1, kC);
  kernels::matmul_backward(dy, atty, wproj, datty, dwproj, row(dbproj));
  kernels::attention_backward(plan, datty, qkv, atty, saved, dqkv, work);
  kernels::matmul_backward(dqkv, x, wqkv, dx, dwqkv, row(dbqkv));

  // This rank's heads.
  const model::TensorSplit heads{0, 3, rank, size}, columns{1, 1, rank, size};
  const std::int64_t local = kC / size;
  const auto my_qkv_w = device(slice(qkv_w, {3 * kC, kC}, heads), 3 * local, kC);
  const auto my_qkv_b = device(slice(qkv_b, {3 * kC}, heads), 1, 3 * local);
  const auto my_proj_w = device(slice(proj_w, {kC, kC}, columns), kC, local);
  MemoryLedger ledger;
  comm::CommLedger comm_ledger;
  comm::Communicator tp(MPI_COMM_WORLD, "tp", &comm_ledger, std::chrono::seconds(60));
  ParallelAttention attention(tp, ledger, kBatch, kSeq, kC, kHeads);
  const ParallelAttention::Weights weights{my_qkv_w, row(my_qkv_b), my_proj_w, row(bproj)};
  kernels::MatrixF tp_out("tp_out", kRows, kC), tp_dx("tp_dx", kRows, kC);
  kernels::MatrixF g_qkv_w("g_qkv_w", 3 * local, kC), g_qkv_b("g_qkv_b", 1, 3 * local);
  kernels::MatrixF g_proj_w("g_proj_w", kC, local), g_proj_b("g_proj_b", 1, kC);
  attention.forward(x, weights, tp_out);
  attention.backward(dy, weights, {g_qkv_w, row(g_qkv_b), g_proj_w, row(g_proj_b)}, tp_dx);

  expect_close(host(tp_out), host(out), "output", rank);
  expect_close(host(tp_dx), host(dx), "input gradient", rank);
  expect_close(host(g_qkv_w), slice(host(dwqkv), {3 * kC, kC}, heads), "c_attn weight grad", rank);
  expect_close(host(g_qkv_b), slice(host(dbqkv), {3 * kC}, heads), "c_attn bias grad", rank);
  expect_close(host(g_proj_w), slice(host(dwproj), {kC, kC}, columns), "c_proj weight grad", rank);
  expect_close(host(g_proj_b), host(dbproj), "c_proj bias grad (replicated)", rank);
  if (size > 1) {
    const comm::CommCount all = comm_ledger.total("tp", comm::CommOp::all_reduce);
    EXPECT_EQ(all.calls, 2);
    EXPECT_EQ(all.payload_bytes, 2 * kRows * kC * 4) << "N·C floats each way";
  }
}

TEST(ParallelAttention, HeadsTpDoesNotDivideAreAnInputError) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  comm::Communicator tp(MPI_COMM_WORLD, "tp", nullptr, std::chrono::seconds(60));
  MemoryLedger ledger;
  const int heads = size + 1;  // 3 heads over 2 ranks, 5 over 4
  if (size == 1) {
    // One rank holds every head of any count.
    EXPECT_NO_THROW(ParallelAttention(tp, ledger, 1, 4, 4 * heads, heads));
    return;
  }
  try {
    ParallelAttention attention(tp, ledger, 1, 4, 4 * heads, heads);
    FAIL() << "no error";
  } catch (const Error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("[parallel] tp = " + std::to_string(size)), std::string::npos) << text;
    EXPECT_NE(text.find("n_head = " + std::to_string(heads)), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace strata::tensor_parallel
