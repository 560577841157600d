// The optimizer side: gradient norm and overflow over the DP group, AdamW on
// this rank's pieces, and refreshing every rank's working parameters.
#include <algorithm>
#include <vector>

#include "kernels/adamw.hpp"
#include "zero/impl/convert.hpp"
#include "zero/impl/store_state.hpp"

namespace strata::zero {

double ZeroStore::grad_sum_of_squares() {
  Impl& s = *impl_;
  double sum = 0;
  for (std::size_t c = 0; c < layout_.chunks().size(); ++c) {
    const Chunk& chunk = layout_.chunks()[c];
    // Every rank holds a replicated chunk's reduced gradient: count it once.
    if (!chunk.partitioned && s.dp.rank() != 0) continue;
    sum += impl::sum_of_squares(s.grad_piece(c), s.dtype, chunk.local_size);
  }
  return s.dp.size() == 1 ? sum : s.dp.all_reduce_sum(sum);
}

bool ZeroStore::has_overflow() {
  Impl& s = *impl_;
  bool overflow = false;
  for (std::size_t c = 0; c < layout_.chunks().size() && !overflow; ++c)
    overflow = impl::any_non_finite(s.grad_piece(c), s.dtype, layout_.chunks()[c].local_size);
  const double flag = overflow ? 1.0 : 0.0;
  return (s.dp.size() == 1 ? flag : s.dp.all_reduce_max(flag)) > 0;
}

void ZeroStore::step(std::int64_t step_count, const kernels::AdamWHyper& hyper, float grad_scale) {
  Impl& s = *impl_;
  std::vector<float> widened;
  for (std::size_t c = 0; c < layout_.chunks().size(); ++c) {
    const Chunk& chunk = layout_.chunks()[c];
    const float* grads = static_cast<const float*>(s.grad_piece(c));
    if (s.mixed) {
      widened.resize(static_cast<std::size_t>(chunk.local_size));
      impl::convert(s.grad_piece(c), s.dtype, widened.data(), DType::fp32, chunk.local_size);
      grads = widened.data();
    }
    float* master = s.master_piece(c);
    float* m = s.exp_avg.data<float>() + chunk.local_offset;
    float* v = s.exp_avg_sq.data<float>() + chunk.local_offset;
    // The piece may cut through parameters: each one's run gets its own
    // decay setting; padding is never touched.
    for (const auto& place : chunk.params) {
      const std::int64_t begin = std::max(place.offset, chunk.local_begin);
      const std::int64_t end =
          std::min(place.offset + place.numel, chunk.local_begin + chunk.local_size);
      if (end <= begin) continue;
      const std::int64_t at = begin - chunk.local_begin;
      const auto n = static_cast<std::size_t>(end - begin);
      kernels::AdamWHyper h = hyper;
      if (!layout_.specs()[place.spec].weight_decay) h.weight_decay = 0.0;
      kernels::adamw_update(kernels::VectorF(master + at, n), kernels::ConstVectorF(grads + at, n),
                            kernels::VectorF(m + at, n), kernels::VectorF(v + at, n), h, step_count,
                            grad_scale);
    }
  }
  publish_params();
}

void ZeroStore::publish_params() {
  Impl& s = *impl_;
  for (std::size_t c = 0; c < layout_.chunks().size(); ++c) {
    const Chunk& chunk = layout_.chunks()[c];
    if (s.mixed)
      impl::convert(s.master_piece(c), DType::fp32, s.param_piece(c), s.dtype, chunk.local_size);
    // Stages 1-2 hold full parameters but update only their shard: gather
    // every rank's updated shard in place. Blocking, chunk by chunk: nothing
    // would overlap started gathers here, and MPI's blocking all-gather is
    // the faster algorithm (docs/comm.md).
    if (chunk.partitioned && chunk.resident_offset >= 0 && s.dp.size() > 1)
      s.dp.all_gather(s.param_piece(c),
                      impl::at(s.full_params.raw_data(), s.dtype, chunk.resident_offset),
                      chunk.local_size, s.dtype);
  }
}

}  // namespace strata::zero
