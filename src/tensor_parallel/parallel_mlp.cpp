// ParallelMlp: the local kernels between Megatron's two MLP all-reduces.
#include "tensor_parallel/parallel_mlp.hpp"

#include <string>

#include "core/contract.hpp"
#include "core/error.hpp"
#include "kernels/gelu.hpp"
#include "kernels/matmul.hpp"

namespace strata::tensor_parallel {
namespace {

std::int64_t local_width(std::int64_t channels, int tp) {
  if ((4 * channels) % tp != 0)
    throw STRATA_ERROR("[parallel] tp = " + std::to_string(tp) + " does not divide the MLP's " +
                           std::to_string(4 * channels) + " hidden columns (4 × n_embd)",
                       "[parallel] tp", "choose a tp that divides 4 × [model] n_embd");
  return 4 * channels / tp;
}

kernels::MatrixF matrix(const Tensor& tensor, std::int64_t rows, std::int64_t cols) {
  return kernels::MatrixF(tensor.data<float>(), rows, cols);
}

}  // namespace

ParallelMlp::ParallelMlp(comm::Communicator& tp, MemoryLedger& ledger, std::int64_t rows,
                         std::int64_t channels)
    : tp_(tp),
      rows_(rows),
      wide_(local_width(channels, tp.size())),
      fc_(ledger, "tp.mlp.fc", DType::fp32, {rows, wide_}, MemoryCategory::activation),
      gelu_(ledger, "tp.mlp.gelu", DType::fp32, {rows, wide_}, MemoryCategory::activation),
      dwide_(ledger, "tp.mlp.dwide", DType::fp32, {rows, wide_}, MemoryCategory::workspace) {}

void ParallelMlp::forward(const kernels::ConstMatrixF& input, const Weights& w,
                          const kernels::MatrixF& out) {
  STRATA_EXPECTS(static_cast<std::int64_t>(input.extent(0)) == rows_);
  input_ = input;
  const auto fc = matrix(fc_, rows_, wide_), gelu = matrix(gelu_, rows_, wide_);
  kernels::matmul_forward(input, w.column_w, w.column_b, fc);
  kernels::gelu_forward(fc, gelu);
  row_parallel_forward(tp_, gelu, w.row_w, w.row_b, out);
}

void ParallelMlp::backward(const kernels::ConstMatrixF& dout, const Weights& w, const Grads& g,
                           const kernels::MatrixF& dinput) {
  const auto dwide = matrix(dwide_, rows_, wide_);
  kernels::matmul_backward(dout, matrix(gelu_, rows_, wide_), w.row_w, dwide, g.row_w, g.row_b);
  kernels::gelu_backward(dwide, matrix(fc_, rows_, wide_), dwide);
  column_parallel_backward(tp_, dwide, input_, w.column_w, dinput, g.column_w, g.column_b);
}

}  // namespace strata::tensor_parallel
