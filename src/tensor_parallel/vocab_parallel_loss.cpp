// VocabParallelCrossEntropy: the three kernel phases of
// kernels/vocab_parallel_cross_entropy.hpp around the two TP reductions.
#include "tensor_parallel/vocab_parallel_loss.hpp"

#include "core/contract.hpp"
#include "kernels/vocab_parallel_cross_entropy.hpp"

namespace strata::tensor_parallel {

VocabParallelCrossEntropy::VocabParallelCrossEntropy(comm::Communicator& tp, MemoryLedger& ledger,
                                                     std::int64_t rows)
    : tp_(tp),
      rows_(rows),
      stats_(ledger, "tp.cross_entropy.row_stats", DType::fp32, {3 * rows},
             MemoryCategory::workspace) {}

double VocabParallelCrossEntropy::forward_backward(
    const kernels::MatrixF& logits, const kernels::Vector<const std::int32_t>& targets,
    const VocabShard& shard, float dloss, const kernels::VectorF& losses) {
  STRATA_EXPECTS(static_cast<std::int64_t>(logits.extent(0)) == rows_);
  STRATA_EXPECTS(static_cast<std::int64_t>(logits.extent(1)) == shard.size);
  float* stats = stats_.data<float>();
  const kernels::VectorF row_max(stats, rows_);
  // Sums and target logits side by side, so one all-reduce carries both.
  const kernels::VectorF sum_exp(stats + rows_, rows_);
  const kernels::VectorF target_logit(stats + 2 * rows_, rows_);

  kernels::vp_cross_entropy_row_max(logits, shard.real, row_max);
  tp_.all_reduce(row_max.data(), rows_, DType::fp32, comm::ReduceOp::max);
  kernels::vp_cross_entropy_exp(logits, shard.real, row_max, targets, shard.begin, sum_exp,
                                target_logit);
  tp_.all_reduce(sum_exp.data(), 2 * rows_, DType::fp32);
  return kernels::vp_cross_entropy_finish(logits, shard.real, sum_exp, target_logit, targets,
                                          shard.begin, dloss, losses);
}

}  // namespace strata::tensor_parallel
