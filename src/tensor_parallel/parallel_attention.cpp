// ParallelAttention: the local kernels between Megatron's two attention
// all-reduces.
#include "tensor_parallel/parallel_attention.hpp"

#include <algorithm>
#include <string>

#include "core/contract.hpp"
#include "core/error.hpp"
#include "kernels/matmul.hpp"

namespace strata::tensor_parallel {
namespace {

kernels::AttentionPlan local_plan(int batch, int seq, int channels, int heads, int tp) {
  if (heads % tp != 0)
    throw STRATA_ERROR("[parallel] tp = " + std::to_string(tp) +
                           " does not divide [model] n_head = " + std::to_string(heads),
                       "[parallel] tp",
                       "tensor parallelism gives each rank whole attention heads; choose a tp "
                       "that divides n_head");
  return kernels::plan_attention(batch, seq, channels / tp, heads / tp);
}

Tensor floats(MemoryLedger& ledger, const char* name, std::int64_t count, MemoryCategory category) {
  return Tensor(ledger, name, DType::fp32, {std::max<std::int64_t>(count, 1)}, category);
}

kernels::MatrixF matrix(const Tensor& tensor, std::int64_t rows, std::int64_t cols) {
  return kernels::MatrixF(tensor.data<float>(), rows, cols);
}

kernels::VectorF vector(const Tensor& tensor) {
  return kernels::VectorF(tensor.data<float>(), tensor.numel());
}

}  // namespace

ParallelAttention::ParallelAttention(comm::Communicator& tp, MemoryLedger& ledger, int batch,
                                     int seq, int channels, int heads)
    : tp_(tp),
      plan_(local_plan(batch, seq, channels, heads, tp.size())),
      rows_(static_cast<std::int64_t>(batch) * seq),
      local_(channels / tp.size()) {
  const auto activation = MemoryCategory::activation, workspace = MemoryCategory::workspace;
  qkv_ = floats(ledger, "tp.attn.qkv", rows_ * 3 * local_, activation);
  atty_ = floats(ledger, "tp.attn.out", rows_ * local_, activation);
  saved_ =
      floats(ledger, "tp.attn.saved", static_cast<std::int64_t>(plan_.saved_floats), activation);
  workspace_ = floats(ledger, "tp.attn.workspace",
                      static_cast<std::int64_t>(plan_.workspace_floats), workspace);
  dqkv_ = floats(ledger, "tp.attn.dqkv", rows_ * 3 * local_, workspace);
  datty_ = floats(ledger, "tp.attn.dout", rows_ * local_, workspace);
}

void ParallelAttention::forward(const kernels::ConstMatrixF& input, const Weights& w,
                                const kernels::MatrixF& out) {
  STRATA_EXPECTS(static_cast<std::int64_t>(input.extent(0)) == rows_);
  input_ = input;
  const auto qkv = matrix(qkv_, rows_, 3 * local_), atty = matrix(atty_, rows_, local_);
  kernels::matmul_forward(input, w.column_w, w.column_b, qkv);
  kernels::attention_forward(plan_, qkv, atty, vector(saved_), vector(workspace_));
  row_parallel_forward(tp_, atty, w.row_w, w.row_b, out);
}

void ParallelAttention::backward(const kernels::ConstMatrixF& dout, const Weights& w,
                                 const Grads& g, const kernels::MatrixF& dinput) {
  const auto qkv = matrix(qkv_, rows_, 3 * local_), atty = matrix(atty_, rows_, local_);
  const auto datty = matrix(datty_, rows_, local_), dqkv = matrix(dqkv_, rows_, 3 * local_);
  kernels::matmul_backward(dout, atty, w.row_w, datty, g.row_w, g.row_b);
  kernels::attention_backward(plan_, datty, qkv, atty, vector(saved_), dqkv, vector(workspace_));
  column_parallel_backward(tp_, dqkv, input_, w.column_w, dinput, g.column_w, g.column_b);
}

}  // namespace strata::tensor_parallel
