// Residual add forward and backward, one vectorised pass each.
#include "kernels/residual.hpp"

#include <cstdint>

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"

namespace strata::kernels {
namespace {

// Elements per work item: a vectorisable chunk on the host, one per device
// thread.
constexpr std::int64_t kChunk = kHostExec ? 4096 : 1;

[[maybe_unused]] bool contiguous_same_shape(const ConstMatrixF& a, const ConstMatrixF& b) {
  return a.extent(0) == b.extent(0) && a.extent(1) == b.extent(1) && a.span_is_contiguous() &&
         b.span_is_contiguous();
}

// out[i] += in[i] over the whole span (out != in).
void accumulate(const ConstMatrixF& in, const MatrixF& out, const char* label) {
  const std::int64_t size = in.size();
  const float* x = in.data();
  float* y = out.data();
  Kokkos::parallel_for(
      label, Kokkos::RangePolicy<ExecSpace>(0, (size + kChunk - 1) / kChunk),
      KOKKOS_LAMBDA(std::int64_t chunk) {
        const std::int64_t end = (chunk + 1) * kChunk < size ? (chunk + 1) * kChunk : size;
        for (std::int64_t i = chunk * kChunk; i < end; ++i) y[i] += x[i];
      });
}

}  // namespace

void residual_forward(const ConstMatrixF& a, const ConstMatrixF& b, const MatrixF& out) {
  STRATA_EXPECTS(contiguous_same_shape(a, b) && contiguous_same_shape(a, out));
  const std::int64_t size = a.size();
  const float* x = a.data();
  const float* y = b.data();
  float* z = out.data();
  Kokkos::parallel_for(
      "strata::residual_forward", Kokkos::RangePolicy<ExecSpace>(0, (size + kChunk - 1) / kChunk),
      KOKKOS_LAMBDA(std::int64_t chunk) {
        const std::int64_t end = (chunk + 1) * kChunk < size ? (chunk + 1) * kChunk : size;
        for (std::int64_t i = chunk * kChunk; i < end; ++i) z[i] = x[i] + y[i];
      });
}

void residual_backward(const ConstMatrixF& dout, const MatrixF& da, const MatrixF& db) {
  STRATA_EXPECTS(contiguous_same_shape(dout, da) && contiguous_same_shape(dout, db));
  STRATA_EXPECTS(da.data() != db.data());
  if (da.data() == dout.data()) return accumulate(dout, db, "strata::residual_backward");
  if (db.data() == dout.data()) return accumulate(dout, da, "strata::residual_backward");
  // Both distinct: one pass reads dout once for the two.
  const std::int64_t size = dout.size();
  const float* g = dout.data();
  float* x = da.data();
  float* y = db.data();
  Kokkos::parallel_for(
      "strata::residual_backward", Kokkos::RangePolicy<ExecSpace>(0, (size + kChunk - 1) / kChunk),
      KOKKOS_LAMBDA(std::int64_t chunk) {
        const std::int64_t end = (chunk + 1) * kChunk < size ? (chunk + 1) * kChunk : size;
        for (std::int64_t i = chunk * kChunk; i < end; ++i) {
          x[i] += g[i];
          y[i] += g[i];
        }
      });
}

}  // namespace strata::kernels
