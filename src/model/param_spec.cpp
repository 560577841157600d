// Parameter sizes and counter-based initialisation of any slice.
#include "model/param_spec.hpp"

#include <Kokkos_Core.hpp>

#include "core/contract.hpp"
#include "core/philox.hpp"

namespace strata::model {

std::int64_t numel(const ParamSpec& spec) {
  std::int64_t count = 1;
  for (const std::int64_t extent : spec.shape) count *= extent;
  return count;
}

std::int64_t total_numel(const std::vector<ParamSpec>& specs) {
  std::int64_t total = 0;
  for (const ParamSpec& spec : specs) total += numel(spec);
  return total;
}

std::int64_t local_numel(const ParamSpec& spec) {
  if (!spec.split) return numel(spec);
  std::int64_t count = 1;
  for (const std::int64_t extent : local_shape(spec.shape, *spec.split, spec.name.c_str()))
    count *= extent;
  return count;
}

std::vector<LogicalRun> local_runs(const ParamSpec& spec, std::int64_t local_begin,
                                   std::int64_t local_end) {
  if (spec.split) return logical_runs(spec.shape, *spec.split, local_begin, local_end);
  if (local_end == local_begin) return {};
  return {LogicalRun{local_begin, local_begin, local_end - local_begin}};
}

void initialize_local_slice(const ParamSpec& spec, std::uint64_t seed, std::int64_t local_begin,
                            std::int64_t local_end, float* out) {
  for (const LogicalRun& run : local_runs(spec, local_begin, local_end))
    initialize_slice(spec, seed, run.logical_begin, run.logical_begin + run.count,
                     out + (run.local_begin - local_begin));
}

void initialize_slice(const ParamSpec& spec, std::uint64_t seed, std::int64_t begin,
                      std::int64_t end, float* out) {
  STRATA_EXPECTS(0 <= begin && begin <= end && end <= numel(spec));
  const std::int64_t count = end - begin;
  switch (spec.init) {
    case InitRule::zeros:
      for (std::int64_t i = 0; i < count; ++i) out[i] = 0.0f;
      return;
    case InitRule::ones:
      for (std::int64_t i = 0; i < count; ++i) out[i] = 1.0f;
      return;
    case InitRule::normal: {
      const CounterRng rng(seed, stream_id(spec.name));
      const double std = spec.std;
      for (std::int64_t i = 0; i < count; ++i)
        out[i] = static_cast<float>(std * rng.normal(static_cast<std::uint64_t>(begin + i)));
      return;
    }
  }
}

}  // namespace strata::model
