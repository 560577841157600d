// The region operators: the two all-reduces, and the column block moves
// (a strided copy on each side of one all-gather).
#include "tensor_parallel/regions.hpp"

#include <Kokkos_Core.hpp>

#include "core/contract.hpp"

namespace strata::tensor_parallel {
namespace {

void all_reduce(comm::Communicator& tp, const kernels::MatrixF& m) {
  STRATA_EXPECTS(m.span_is_contiguous());
  if (tp.size() > 1) tp.all_reduce(m.data(), static_cast<std::int64_t>(m.size()), DType::fp32);
}

}  // namespace

void copy_to_region_backward(comm::Communicator& tp, const kernels::MatrixF& dinput) {
  all_reduce(tp, dinput);
}

void reduce_from_region_forward(comm::Communicator& tp, const kernels::MatrixF& output) {
  all_reduce(tp, output);
}

void scatter_columns(comm::Communicator& tp, const kernels::ConstMatrixF& full,
                     const kernels::MatrixF& local) {
  const std::int64_t block = local.extent(1);
  STRATA_EXPECTS(full.extent(0) == local.extent(0));
  STRATA_EXPECTS(static_cast<std::int64_t>(full.extent(1)) == block * tp.size());
  const std::int64_t first = block * tp.rank();
  Kokkos::deep_copy(local,
                    Kokkos::subview(full, Kokkos::ALL, std::make_pair(first, first + block)));
}

void gather_columns(comm::Communicator& tp, const kernels::ConstMatrixF& local,
                    const kernels::MatrixF& full, const kernels::VectorF& staging) {
  const std::int64_t rows = local.extent(0), block = local.extent(1);
  const int ranks = tp.size();
  STRATA_EXPECTS(full.extent(0) == local.extent(0));
  STRATA_EXPECTS(static_cast<std::int64_t>(full.extent(1)) == block * ranks);
  STRATA_EXPECTS(static_cast<std::int64_t>(staging.extent(0)) >= rows * block * ranks);
  // All-gather moves contiguous blocks: rank r's [N, C/tp] lands as the
  // r-th [N, C/tp] slab of staging, then each slab becomes a column block.
  const kernels::MatrixF mine(staging.data() + rows * block * tp.rank(), rows, block);
  Kokkos::deep_copy(mine, local);
  tp.all_gather(mine.data(), staging.data(), rows * block, DType::fp32);
  for (int r = 0; r < ranks; ++r) {
    const kernels::ConstMatrixF slab(staging.data() + rows * block * r, rows, block);
    Kokkos::deep_copy(
        Kokkos::subview(full, Kokkos::ALL, std::make_pair(block * r, block * (r + 1))), slab);
  }
}

}  // namespace strata::tensor_parallel
