// Linear layer forward/backward: three GEMMs through kernels/gemm.hpp plus
// the bias row broadcast and column sums, which are memory-bound passes.
#include "kernels/matmul.hpp"

#include "core/contract.hpp"
#include "kernels/gemm.hpp"

namespace strata::kernels {
namespace {

bool present(const ConstVectorF& v) { return v.data() != nullptr && v.extent(0) > 0; }
template <class View>
bool present_matrix(const View& m) {
  return m.data() != nullptr && m.extent(0) > 0;
}

// out(i, :) = bias (add == false) or out(i, :) += bias (add == true).
void broadcast_bias(const ConstVectorF& bias, const MatrixF& out, bool add) {
  const std::size_t cols = out.extent(1);
  Kokkos::parallel_for(
      "strata::matmul_bias", Kokkos::RangePolicy<ExecSpace>(0, out.extent(0)),
      KOKKOS_LAMBDA(std::size_t i) {
        float* row = &out(i, 0);
        const float* b = bias.data();
        if (add) {
          for (std::size_t j = 0; j < cols; ++j) row[j] += b[j];
        } else {
          for (std::size_t j = 0; j < cols; ++j) row[j] = b[j];
        }
      });
}

// dbias(j) += Σ_i dout(i, j). One work item per block of columns, walking
// the rows in order with the block's sums in a local array: on a CPU that is
// a streaming read of dout with the sums in registers/L1, and a block is
// wide enough (1 KiB) that every row segment is whole cache lines.
void add_column_sums(const ConstMatrixF& dout, const VectorF& dbias) {
  constexpr std::size_t kBlock = 256;
  const std::size_t rows = dout.extent(0), cols = dout.extent(1);
  const std::size_t blocks = (cols + kBlock - 1) / kBlock;
  Kokkos::parallel_for(
      "strata::matmul_dbias", Kokkos::RangePolicy<ExecSpace>(0, blocks),
      KOKKOS_LAMBDA(std::size_t block) {
        const std::size_t j0 = block * kBlock;
        const std::size_t width = j0 + kBlock <= cols ? kBlock : cols - j0;
        float sums[kBlock] = {};
        for (std::size_t i = 0; i < rows; ++i) {
          const float* row = &dout(i, j0);
          for (std::size_t j = 0; j < width; ++j) sums[j] += row[j];
        }
        for (std::size_t j = 0; j < width; ++j) dbias(j0 + j) += sums[j];
      });
}

}  // namespace

namespace detail {

void matmul_forward(const ConstMatrixF& inp, const ConstMatrixF& weight, const ConstVectorF& bias,
                    const MatrixF& out, BiasFusion fusion) {
  STRATA_EXPECTS(inp.extent(1) == weight.extent(1));
  STRATA_EXPECTS(out.extent(0) == inp.extent(0) && out.extent(1) == weight.extent(0));
  const bool has_bias = present(bias);
  STRATA_EXPECTS(!has_bias || bias.extent(0) == weight.extent(0));
  if (has_bias && fusion == BiasFusion::preload) {
    broadcast_bias(bias, out, false);
    gemm(Trans::no, Trans::yes, 1.0f, inp, weight, 1.0f, out);
    return;
  }
  gemm(Trans::no, Trans::yes, 1.0f, inp, weight, 0.0f, out);
  if (has_bias) broadcast_bias(bias, out, true);
}

}  // namespace detail

void matmul_forward(const ConstMatrixF& inp, const ConstMatrixF& weight, const ConstVectorF& bias,
                    const MatrixF& out) {
  // Preloading the bias and letting the GEMM add it (beta = 1) saves the
  // extra read-modify-write pass over out; measured in docs/blas.md.
  detail::matmul_forward(inp, weight, bias, out, detail::BiasFusion::preload);
}

void matmul_backward(const ConstMatrixF& dout, const ConstMatrixF& inp, const ConstMatrixF& weight,
                     const MatrixF& dinp, const MatrixF& dweight, const VectorF& dbias,
                     GradMode dinp_mode) {
  STRATA_EXPECTS(dout.extent(0) == inp.extent(0) && dout.extent(1) == weight.extent(0));
  STRATA_EXPECTS(inp.extent(1) == weight.extent(1));
  if (present_matrix(dinp)) {
    STRATA_EXPECTS(dinp.extent(0) == inp.extent(0) && dinp.extent(1) == inp.extent(1));
    gemm(Trans::no, Trans::no, 1.0f, dout, weight, dinp_mode == GradMode::accumulate ? 1.0f : 0.0f,
         dinp);
  }
  if (present_matrix(dweight)) {
    STRATA_EXPECTS(dweight.extent(0) == weight.extent(0) && dweight.extent(1) == weight.extent(1));
    gemm(Trans::yes, Trans::no, 1.0f, dout, inp, 1.0f, dweight);
  }
  if (dbias.data() != nullptr && dbias.extent(0) > 0) {
    STRATA_EXPECTS(dbias.extent(0) == weight.extent(0));
    add_column_sums(dout, dbias);
  }
}

}  // namespace strata::kernels
