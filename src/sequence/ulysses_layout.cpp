// Ulysses packing: one pass per direction over (block, row), each copying
// parts runs of C/SP contiguous floats.
#include "sequence/ulysses_layout.hpp"

#include <Kokkos_Core.hpp>

#include "core/error.hpp"

namespace strata::sequence {
namespace {

void check_shapes(const UlyssesLayout& layout, const kernels::ConstMatrixF& sequence,
                  const kernels::ConstMatrixF& heads, const char* what) {
  const auto cols = static_cast<std::int64_t>(layout.parts) * layout.columns;
  const bool fits = layout.sp >= 1 && layout.seq % layout.sp == 0 &&
                    layout.columns % layout.sp == 0 &&
                    static_cast<std::int64_t>(sequence.extent(0)) == layout.sequence_rows() &&
                    static_cast<std::int64_t>(sequence.extent(1)) == cols &&
                    static_cast<std::int64_t>(heads.extent(0)) == layout.head_rows() &&
                    static_cast<std::int64_t>(heads.extent(1)) == cols / layout.sp;
  if (!fits)
    throw STRATA_ERROR(
        "matrices of " + std::to_string(sequence.extent(0)) + "x" +
            std::to_string(sequence.extent(1)) + " (sequence split) and " +
            std::to_string(heads.extent(0)) + "x" + std::to_string(heads.extent(1)) +
            " (head split) do not fit B = " + std::to_string(layout.batch) +
            ", T = " + std::to_string(layout.seq) + ", SP = " + std::to_string(layout.sp) + ", " +
            std::to_string(layout.parts) + " x C = " + std::to_string(layout.columns),
        what, "this is a bug in the caller: size the buffers from the layout");
}

// Calls copy(block, b, t, block_offset) for every block, sample and chunk
// position; block_offset is the element where that row starts in a block.
template <class Copy>
void for_each_block_row(const UlyssesLayout& layout, Copy copy) {
  const std::int64_t rows = layout.sequence_rows();
  const int local_seq = layout.local_seq();
  const std::int64_t row_elements =
      static_cast<std::int64_t>(layout.parts) * layout.local_columns();
  Kokkos::parallel_for(
      "strata::ulysses_pack", Kokkos::RangePolicy<kernels::ExecSpace>(0, rows * layout.sp),
      KOKKOS_LAMBDA(std::int64_t i) {
        const int block = static_cast<int>(i / rows);
        const std::int64_t row = i % rows;
        const int b = static_cast<int>(row / local_seq), t = static_cast<int>(row % local_seq);
        copy(block, b, t, block * rows * row_elements + row * row_elements);
      });
}

}  // namespace

void pack_sequence_split(const UlyssesLayout& layout, const kernels::ConstMatrixF& sequence,
                         float* send) {
  const int local_seq = layout.local_seq(), cs = layout.local_columns(), C = layout.columns;
  const int parts = layout.parts;
  for_each_block_row(
      layout, KOKKOS_LAMBDA(int dest, int b, int t, std::int64_t at) {
        const std::int64_t row = static_cast<std::int64_t>(b) * local_seq + t;
        for (int p = 0; p < parts; ++p)
          for (int j = 0; j < cs; ++j) send[at + p * cs + j] = sequence(row, p * C + dest * cs + j);
      });
}

void unpack_head_split(const UlyssesLayout& layout, const float* recv,
                       const kernels::MatrixF& heads) {
  const int local_seq = layout.local_seq(), T = layout.seq,
            width = layout.parts * layout.local_columns();
  for_each_block_row(
      layout, KOKKOS_LAMBDA(int source, int b, int t, std::int64_t at) {
        const std::int64_t row = static_cast<std::int64_t>(b) * T + source * local_seq + t;
        for (int j = 0; j < width; ++j) heads(row, j) = recv[at + j];
      });
}

void pack_head_split(const UlyssesLayout& layout, const kernels::ConstMatrixF& heads, float* send) {
  const int local_seq = layout.local_seq(), T = layout.seq,
            width = layout.parts * layout.local_columns();
  for_each_block_row(
      layout, KOKKOS_LAMBDA(int dest, int b, int t, std::int64_t at) {
        const std::int64_t row = static_cast<std::int64_t>(b) * T + dest * local_seq + t;
        for (int j = 0; j < width; ++j) send[at + j] = heads(row, j);
      });
}

void unpack_sequence_split(const UlyssesLayout& layout, const float* recv,
                           const kernels::MatrixF& sequence) {
  const int local_seq = layout.local_seq(), cs = layout.local_columns(), C = layout.columns;
  const int parts = layout.parts;
  for_each_block_row(
      layout, KOKKOS_LAMBDA(int source, int b, int t, std::int64_t at) {
        const std::int64_t row = static_cast<std::int64_t>(b) * local_seq + t;
        for (int p = 0; p < parts; ++p)
          for (int j = 0; j < cs; ++j)
            sequence(row, p * C + source * cs + j) = recv[at + p * cs + j];
      });
}

void sequence_to_heads(comm::Communicator& sp, const UlyssesLayout& layout,
                       const kernels::ConstMatrixF& sequence, const kernels::MatrixF& heads,
                       float* send, float* recv) {
  check_shapes(layout, sequence, heads, "sequence_to_heads");
  pack_sequence_split(layout, sequence, send);
  Kokkos::fence();
  sp.all_to_all(send, recv, layout.block_elements(), DType::fp32);
  unpack_head_split(layout, recv, heads);
}

void heads_to_sequence(comm::Communicator& sp, const UlyssesLayout& layout,
                       const kernels::ConstMatrixF& heads, const kernels::MatrixF& sequence,
                       float* send, float* recv) {
  check_shapes(layout, sequence, heads, "heads_to_sequence");
  pack_head_split(layout, heads, send);
  Kokkos::fence();
  sp.all_to_all(send, recv, layout.block_elements(), DType::fp32);
  unpack_sequence_split(layout, recv, sequence);
}

}  // namespace strata::sequence
