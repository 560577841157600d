// Linear layer forward/backward: three GEMMs, through kernels/gemm.hpp (the
// BLAS) or, at small shapes on AVX-512 hosts, our own tiles
// (kernels/small_gemm.hpp), plus the bias row broadcast and column sums.
#include "kernels/matmul.hpp"

#include "core/contract.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/gemm.hpp"
#include "kernels/small_gemm.hpp"
#include "kernels/team_reductions.hpp"

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
constexpr std::size_t kSumBlock = 256;

KOKKOS_FORCEINLINE_FUNCTION void column_sums(const float* dout, std::size_t ld, std::size_t rows,
                                             std::size_t width, float* dbias) {
  float sums[kSumBlock] = {};
  for (std::size_t i = 0; i < rows; ++i) {
    const float* row = dout + i * ld;
    for (std::size_t j = 0; j < width; ++j) sums[j] += row[j];
  }
  for (std::size_t j = 0; j < width; ++j) dbias[j] += sums[j];
}

KOKKOS_INLINE_FUNCTION std::size_t block_width(std::size_t block, std::size_t cols) {
  return block * kSumBlock + kSumBlock <= cols ? kSumBlock : cols - block * kSumBlock;
}

// The host's loop per ISA level (the build targets SSE2 only).
STRATA_X86_CLONES void column_sums_host(const float* dout, std::size_t ld, std::size_t rows,
                                        std::size_t width, float* dbias) {
  column_sums(dout, ld, rows, width, dbias);
}

void add_column_sums(const ConstMatrixF& dout, const VectorF& dbias) {
  const std::size_t rows = dout.extent(0), cols = dout.extent(1), ld = dout.stride(0);
  const std::size_t blocks = (cols + kSumBlock - 1) / kSumBlock;
  const float* g = dout.data();
  float* db = dbias.data();
  if constexpr (kHostExec) {
    Kokkos::parallel_for("strata::matmul_dbias",
                         Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, blocks),
                         [=](std::size_t block) {
                           column_sums_host(g + block * kSumBlock, ld, rows,
                                            block_width(block, cols), db + block * kSumBlock);
                         });
  } else {
    // A thread per block of columns left a GPU nearly idle (80 ms a call at
    // gpt2-124M, docs/gpu.md): a team per column.
    team_reductions::add_column_sums(dout, dbias);
  }
}

constexpr bool kHostMemory = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;

int ld_of(std::size_t stride, std::size_t cols) {
  return static_cast<int>(stride > cols ? stride : cols);
}

// Whether a GEMM of this route and shape goes to our tiles: they can run it
// (host memory, whole 16-float column vectors: n % 16 == 0) and, when the
// route is automatic, they are the faster (an AVX-512 CPU, a shape that fits).
bool use_tiles(detail::GemmRoute route, int n, bool fits) {
  if (!kHostMemory || route == detail::GemmRoute::blas || n % 16 != 0) return false;
  return route == detail::GemmRoute::tiles || (small_gemm::preferred() && fits);
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

void matmul_forward(const ConstMatrixF& inp, const ConstMatrixF& weight, const ConstVectorF& bias,
                    const MatrixF& out, const VectorF& weight_scratch, GemmRoute route) {
  const auto n = static_cast<int>(inp.extent(0)), c = static_cast<int>(inp.extent(1)),
             oc = static_cast<int>(weight.extent(0));
  const auto transposed = static_cast<std::size_t>(c) * static_cast<std::size_t>(oc);
  if (weight_scratch.extent(0) < transposed ||
      !use_tiles(route, oc, small_gemm::fits_nn(n, oc, c))) {
    // Preloading the bias and letting the GEMM add it (beta = 1) saves the
    // extra read-modify-write pass over out; measured in docs/blas.md.
    matmul_forward(inp, weight, bias, out, BiasFusion::preload);
    return;
  }
  STRATA_EXPECTS(inp.extent(1) == weight.extent(1));
  STRATA_EXPECTS(out.extent(0) == inp.extent(0) && out.extent(1) == weight.extent(0));
  STRATA_EXPECTS(!present(bias) || bias.extent(0) == weight.extent(0));
  // The bias is the accumulators' start: no broadcast pass over out.
  small_gemm::nt_bias(n, oc, c, inp.data(), ld_of(inp.stride(0), inp.extent(1)), weight.data(),
                      ld_of(weight.stride(0), weight.extent(1)),
                      present(bias) ? bias.data() : nullptr, out.data(),
                      ld_of(out.stride(0), out.extent(1)), weight_scratch.data());
}

void matmul_backward(const ConstMatrixF& dout, const ConstMatrixF& inp, const ConstMatrixF& weight,
                     const MatrixF& dinp, const MatrixF& dweight, const VectorF& dbias,
                     GradMode dinp_mode, GemmRoute route) {
  STRATA_EXPECTS(dout.extent(0) == inp.extent(0) && dout.extent(1) == weight.extent(0));
  STRATA_EXPECTS(inp.extent(1) == weight.extent(1));
  const auto n = static_cast<int>(inp.extent(0)), c = static_cast<int>(inp.extent(1)),
             oc = static_cast<int>(weight.extent(0));
  const int ld_dout = ld_of(dout.stride(0), dout.extent(1));
  if (present_matrix(dinp)) {
    STRATA_EXPECTS(dinp.extent(0) == inp.extent(0) && dinp.extent(1) == inp.extent(1));
    const bool accumulate = dinp_mode == GradMode::accumulate;
    if (use_tiles(route, c, small_gemm::fits_nn(n, c, oc))) {
      small_gemm::nn(n, c, oc, dout.data(), ld_dout, weight.data(),
                     ld_of(weight.stride(0), weight.extent(1)), dinp.data(),
                     ld_of(dinp.stride(0), dinp.extent(1)), accumulate);
    } else {
      gemm(Trans::no, Trans::no, 1.0f, dout, weight, accumulate ? 1.0f : 0.0f, dinp);
    }
  }
  if (present_matrix(dweight)) {
    STRATA_EXPECTS(dweight.extent(0) == weight.extent(0) && dweight.extent(1) == weight.extent(1));
    if (use_tiles(route, c, small_gemm::fits_tn(oc, c, n))) {
      small_gemm::tn_accumulate(oc, c, n, dout.data(), ld_dout, inp.data(),
                                ld_of(inp.stride(0), inp.extent(1)), dweight.data(),
                                ld_of(dweight.stride(0), dweight.extent(1)));
    } else {
      gemm(Trans::yes, Trans::no, 1.0f, dout, inp, 1.0f, dweight);
    }
  }
  if (dbias.data() != nullptr && dbias.extent(0) > 0) {
    STRATA_EXPECTS(dbias.extent(0) == weight.extent(0));
    add_column_sums(dout, dbias);
  }
}

}  // namespace detail

void matmul_forward(const ConstMatrixF& inp, const ConstMatrixF& weight, const ConstVectorF& bias,
                    const MatrixF& out) {
  detail::matmul_forward(inp, weight, bias, out, VectorF(), detail::GemmRoute::automatic);
}

void matmul_forward(const ConstMatrixF& inp, const ConstMatrixF& weight, const ConstVectorF& bias,
                    const MatrixF& out, const VectorF& weight_scratch) {
  detail::matmul_forward(inp, weight, bias, out, weight_scratch, detail::GemmRoute::automatic);
}

void matmul_backward(const ConstMatrixF& dout, const ConstMatrixF& inp, const ConstMatrixF& weight,
                     const MatrixF& dinp, const MatrixF& dweight, const VectorF& dbias,
                     GradMode dinp_mode) {
  detail::matmul_backward(dout, inp, weight, dinp, dweight, dbias, dinp_mode,
                          detail::GemmRoute::automatic);
}

namespace team_reductions {

void add_column_sums(const ConstMatrixF& dout, const VectorF& dbias) {
  const std::size_t rows = dout.extent(0), ld = dout.stride(0);
  const float* g = dout.data();
  float* db = dbias.data();
  // Each team's sum is added once, in a fixed order: the same bits every run.
  using Team = Kokkos::TeamPolicy<ExecSpace>;
  Kokkos::parallel_for(
      "strata::matmul_dbias_teams", Team(static_cast<int>(dout.extent(1)), Kokkos::AUTO),
      KOKKOS_LAMBDA(const Team::member_type& team) {
        const auto j = static_cast<std::size_t>(team.league_rank());
        float sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, rows),
            [&](std::size_t i, float& partial) { partial += g[i * ld + j]; }, sum);
        Kokkos::single(Kokkos::PerTeam(team), [&]() { db[j] += sum; });
      });
}

}  // namespace team_reductions

}  // namespace strata::kernels
