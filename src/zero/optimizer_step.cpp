// The optimizer side: gradient norm and overflow over the DP group, AdamW on
// this rank's pieces, and refreshing every rank's working parameters.
#include <algorithm>
#include <vector>

#include "kernels/adamw.hpp"
#include "zero/impl/convert.hpp"
#include "zero/impl/store_state.hpp"

namespace strata::zero {
namespace {

// Calls visit(placement, at, n) for each parameter's run [at, at + n) of
// the rank's piece of chunk (piece coordinates). The piece may cut through
// parameters; padding belongs to none.
template <class Visit>
void for_each_param_run(const Chunk& chunk, Visit&& visit) {
  for (const auto& place : chunk.params) {
    const std::int64_t begin = std::max(place.offset, chunk.local_begin);
    const std::int64_t end =
        std::min(place.offset + place.numel, chunk.local_begin + chunk.local_size);
    if (end > begin) visit(place, begin - chunk.local_begin, end - begin);
  }
}

// The fp32 copy of a 16-bit gradient chunk that AdamW reads. Host memory:
// a reused vector, as the host optimizer of ZeRO-Offload has always had.
// Device memory: a workspace tensor in the ledger, since the optimizer's
// kernels run there.
class WidenedGrads {
 public:
  explicit WidenedGrads(MemoryLedger& ledger) : ledger_(ledger) {}
  float* reserve(std::int64_t count) {
    if constexpr (kDeviceMemoryIsHostMemory) {
      host_.resize(static_cast<std::size_t>(count));
      return host_.data();
    }
    if (!device_.defined() || device_.numel() < count)
      device_ =
          Tensor(ledger_, "zero.grads.widened", DType::fp32, {count}, MemoryCategory::workspace);
    return device_.data<float>();
  }

 private:
  MemoryLedger& ledger_;
  std::vector<float> host_;
  Tensor device_;
};

}  // namespace

double ZeroStore::grad_sum_of_squares() {
  const GradSquares squares = grad_squares_by_split();
  return squares.split + squares.whole;
}

ZeroStore::GradSquares ZeroStore::grad_squares_by_split() {
  Impl& s = *impl_;
  double split = 0, whole = 0;
  bool any_split = false;
  for (std::size_t c = 0; c < layout_.chunks().size(); ++c) {
    const Chunk& chunk = layout_.chunks()[c];
    // Every rank holds a replicated chunk's reduced gradient: count it once.
    if (!chunk.partitioned && s.dp.rank() != 0) continue;
    for_each_param_run(chunk, [&](const ParamPlacement& place, std::int64_t at, std::int64_t n) {
      const double sum = impl::sum_of_squares(impl::at(s.grad_piece(c), s.dtype, at), s.dtype, n);
      (layout_.specs()[place.spec].split ? split : whole) += sum;
    });
  }
  for (const auto& spec : layout_.specs()) any_split = any_split || spec.split.has_value();
  if (s.dp.size() > 1) {
    whole = s.dp.all_reduce_sum(whole);
    if (any_split) split = s.dp.all_reduce_sum(split);
  }
  return {split, whole};
}

void ZeroStore::average_whole_grads(comm::Communicator& tp) {
  if (tp.size() == 1) return;
  Impl& s = *impl_;
  // Packed in fp32 whatever the gradients' dtype: averaging identical
  // values is then exact for a power-of-two TP size.
  std::vector<float> packed;
  auto visit_whole = [&](auto&& use) {
    for (std::size_t c = 0; c < layout_.chunks().size(); ++c)
      for_each_param_run(layout_.chunks()[c],
                         [&](const ParamPlacement& place, std::int64_t at, std::int64_t n) {
                           if (!layout_.specs()[place.spec].split) use(c, at, n);
                         });
  };
  visit_whole([&](std::size_t c, std::int64_t at, std::int64_t n) {
    const std::size_t from = packed.size();
    packed.resize(from + static_cast<std::size_t>(n));
    impl::convert(impl::at(s.grad_piece(c), s.dtype, at), s.dtype, packed.data() + from,
                  DType::fp32, n);
  });
  tp.all_reduce(packed.data(), static_cast<std::int64_t>(packed.size()), DType::fp32);
  const float inverse = 1.0f / static_cast<float>(tp.size());
  for (float& value : packed) value *= inverse;
  std::size_t from = 0;
  visit_whole([&](std::size_t c, std::int64_t at, std::int64_t n) {
    impl::convert(packed.data() + from, DType::fp32, impl::at(s.grad_piece(c), s.dtype, at),
                  s.dtype, n);
    from += static_cast<std::size_t>(n);
  });
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
  WidenedGrads widened(s.ledger);
  for (std::size_t c = 0; c < layout_.chunks().size(); ++c) {
    const Chunk& chunk = layout_.chunks()[c];
    const float* grads = static_cast<const float*>(s.grad_piece(c));
    if (s.mixed) {
      float* fp32 = widened.reserve(chunk.local_size);
      impl::convert(s.grad_piece(c), s.dtype, fp32, DType::fp32, chunk.local_size);
      grads = fp32;
    }
    float* master = s.master_piece(c);
    float* m = s.exp_avg.data<float>() + chunk.local_offset;
    float* v = s.exp_avg_sq.data<float>() + chunk.local_offset;
    // Each parameter's run gets its own decay setting.
    for_each_param_run(
        chunk, [&](const ParamPlacement& place, std::int64_t at, std::int64_t count) {
          const auto n = static_cast<std::size_t>(count);
          kernels::AdamWHyper h = hyper;
          if (!layout_.specs()[place.spec].weight_decay) h.weight_decay = 0.0;
          kernels::adamw_update(kernels::VectorF(master + at, n),
                                kernels::ConstVectorF(grads + at, n), kernels::VectorF(m + at, n),
                                kernels::VectorF(v + at, n), h, step_count, grad_scale);
        });
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
