// UlyssesAttention: exchange, attend on the local heads, exchange back.
#include "sequence/ulysses_attention.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/error.hpp"

namespace strata::sequence {
namespace {

Tensor floats(MemoryLedger& ledger, const std::string& name, std::int64_t count,
              MemoryCategory category) {
  return Tensor(ledger, name, DType::fp32, {std::max<std::int64_t>(count, 1)}, category);
}

kernels::MatrixF matrix(const Tensor& tensor, std::int64_t rows, std::int64_t cols) {
  return kernels::MatrixF(tensor.data<float>(), rows, cols);
}

kernels::VectorF flat(const Tensor& tensor) {
  return kernels::VectorF(tensor.data<float>(), tensor.numel());
}

UlyssesLayout layout_for(const kernels::AttentionPlan& plan, int sp, int parts) {
  return UlyssesLayout{plan.batch, plan.seq, sp, plan.channels * sp, parts};
}

}  // namespace

UlyssesScratch::UlyssesScratch(MemoryLedger& ledger, const UlyssesLayout& qkv,
                               const kernels::AttentionPlan& plan) {
  const std::int64_t rows = qkv.head_rows(), cs = qkv.local_columns();
  send = floats(ledger, "ulysses.send", qkv.buffer_elements(), MemoryCategory::comm_buffer);
  recv = floats(ledger, "ulysses.recv", qkv.buffer_elements(), MemoryCategory::comm_buffer);
  dout_heads = floats(ledger, "ulysses.dout_heads", rows * cs, MemoryCategory::workspace);
  dqkv_heads = floats(ledger, "ulysses.dqkv_heads", rows * 3 * cs, MemoryCategory::workspace);
  workspace = floats(ledger, "ulysses.attention_workspace",
                     static_cast<std::int64_t>(plan.workspace_floats), MemoryCategory::workspace);
}

UlyssesSaved::UlyssesSaved(MemoryLedger& ledger, const std::string& prefix,
                           const UlyssesLayout& qkv, const kernels::AttentionPlan& plan) {
  const std::int64_t rows = qkv.head_rows(), cs = plan.channels;
  const auto activation = MemoryCategory::activation;
  qkv_heads = floats(ledger, prefix + "attn.qkv_heads", rows * 3 * cs, activation);
  out_heads = floats(ledger, prefix + "attn.out_heads", rows * cs, activation);
  attention = floats(ledger, prefix + "attn.saved", static_cast<std::int64_t>(plan.saved_floats),
                     activation);
}

UlyssesAttention::UlyssesAttention(comm::Communicator& sp, const kernels::AttentionPlan& plan,
                                   std::shared_ptr<UlyssesScratch> scratch, UlyssesSaved saved)
    : sp_(sp),
      plan_(plan),
      qkv_layout_(layout_for(plan, sp.size(), 3)),
      out_layout_(layout_for(plan, sp.size(), 1)),
      scratch_(std::move(scratch)),
      saved_(std::move(saved)) {}

void UlyssesAttention::forward(const kernels::ConstMatrixF& qkv, const kernels::MatrixF& out) {
  const std::int64_t rows = qkv_layout_.head_rows(), cs = plan_.channels;
  float* send = scratch_->send.data<float>();
  float* recv = scratch_->recv.data<float>();
  const auto qkv_heads = matrix(saved_.qkv_heads, rows, 3 * cs);
  const auto out_heads = matrix(saved_.out_heads, rows, cs);
  sequence_to_heads(sp_, qkv_layout_, qkv, qkv_heads, send, recv);
  kernels::attention_forward(plan_, qkv_heads, out_heads, flat(saved_.attention),
                             flat(scratch_->workspace));
  heads_to_sequence(sp_, out_layout_, out_heads, out, send, recv);
}

void UlyssesAttention::backward(const kernels::ConstMatrixF& dout, const kernels::MatrixF& dqkv) {
  const std::int64_t rows = qkv_layout_.head_rows(), cs = plan_.channels;
  float* send = scratch_->send.data<float>();
  float* recv = scratch_->recv.data<float>();
  const auto dout_heads = matrix(scratch_->dout_heads, rows, cs);
  const auto dqkv_heads = matrix(scratch_->dqkv_heads, rows, 3 * cs);
  sequence_to_heads(sp_, out_layout_, dout, dout_heads, send, recv);
  kernels::attention_backward(plan_, dout_heads, matrix(saved_.qkv_heads, rows, 3 * cs),
                              matrix(saved_.out_heads, rows, cs), flat(saved_.attention),
                              dqkv_heads, flat(scratch_->workspace));
  heads_to_sequence(sp_, qkv_layout_, dqkv_heads, dqkv, send, recv);
}

void check_sequence_parallel(int sp_size, const model::GptShape& shape, int seq) {
  const std::string sp = "= " + std::to_string(sp_size);
  if (shape.n_head % sp_size != 0)
    throw_input_error("[parallel] sp",
                      sp + " does not divide [model] n_head = " + std::to_string(shape.n_head) +
                          "; Ulysses sequence parallelism gives each rank n_head / sp heads",
                      "set [parallel] sp to a divisor of " + std::to_string(shape.n_head) +
                          ", or [model] n_head to a multiple of " + std::to_string(sp_size));
  if (seq % sp_size != 0)
    throw_input_error(
        "[parallel] sp",
        sp + " does not divide the sequence length ([model] block_size) = " + std::to_string(seq) +
            "; each sequence-parallel rank holds an equal chunk of it",
        "set [parallel] sp to a divisor of " + std::to_string(seq) +
            ", or [model] block_size to a multiple of " + std::to_string(sp_size));
}

model::AttentionCoreFactory ulysses_attention_cores(comm::Communicator& sp,
                                                    const model::GptShape& shape, int batch,
                                                    int seq, MemoryLedger& ledger,
                                                    int checkpointed_blocks) {
  const int size = sp.size();
  check_sequence_parallel(size, shape, seq);
  const auto plan = kernels::plan_attention(batch, seq, shape.n_embd / size, shape.n_head / size);
  const UlyssesLayout qkv{batch, seq, size, shape.n_embd, 3};
  auto scratch = std::make_shared<UlyssesScratch>(ledger, qkv, plan);
  // Checkpointed blocks recompute their core's forward right before its
  // backward, so one set serves them all, as BlockActivations does.
  std::optional<UlyssesSaved> shared;
  if (checkpointed_blocks > 0) shared.emplace(ledger, "blocks.checkpointed.", qkv, plan);
  return [&sp, &ledger, plan, qkv, scratch, shared,
          checkpointed_blocks](int layer) -> std::unique_ptr<model::AttentionCore> {
    return std::make_unique<UlyssesAttention>(
        sp, plan, scratch,
        layer < checkpointed_blocks
            ? *shared
            : UlyssesSaved(ledger, "h." + std::to_string(layer) + ".", qkv, plan));
  };
}

}  // namespace strata::sequence
