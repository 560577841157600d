// The Ulysses all-to-all: a [B·T/SP, parts·C] matrix split by sequence (SP
// rank r holds positions r·T/SP … (r+1)·T/SP − 1 of every sample, all heads)
// becomes a [B·T, parts·C/SP] matrix split by heads (rank r holds every
// position of heads r·NH/SP … (r+1)·NH/SP − 1), and back. parts = 3 for the
// packed q|k|v of c_attn, 1 for the attention output.
#pragma once

#include <cstdint>

#include "comm/communicator.hpp"
#include "kernels/views.hpp"

namespace strata::sequence {

struct UlyssesLayout {
  int batch = 0;    // B
  int seq = 0;      // T: the full sequence
  int sp = 1;       // ranks of the sp group
  int columns = 0;  // C: one part's columns, all heads
  int parts = 1;    // column blocks of C side by side (q, k, v)

  int local_seq() const { return seq / sp; }
  int local_columns() const { return columns / sp; }
  std::int64_t sequence_rows() const { return static_cast<std::int64_t>(batch) * local_seq(); }
  std::int64_t head_rows() const { return static_cast<std::int64_t>(batch) * seq; }
  // Elements one rank sends to each rank (itself included) in one exchange.
  std::int64_t block_elements() const {
    return sequence_rows() * parts * static_cast<std::int64_t>(local_columns());
  }
  std::int64_t buffer_elements() const { return block_elements() * sp; }
};

// Pack and unpack around the all-to-all, pure so they are tested alone.
// Block d of `send` (block_elements() each) is what goes to rank d; block s
// of `recv` came from rank s. Within a block, rows b·T/SP + t (sample b,
// chunk position t) of parts·C/SP columns, row-major.
//   sequence [sequence_rows, parts·C] → send: block d holds columns
//     p·C + d·C/SP … of every part p;
//   recv → heads [head_rows, parts·C/SP]: block s is positions s·T/SP … .
void pack_sequence_split(const UlyssesLayout& layout, const kernels::ConstMatrixF& sequence,
                         float* send);
void unpack_head_split(const UlyssesLayout& layout, const float* recv,
                       const kernels::MatrixF& heads);
//   heads → send: block d holds positions d·T/SP … of every sample;
//   recv → sequence: block s is columns p·C + s·C/SP … of every part p.
void pack_head_split(const UlyssesLayout& layout, const kernels::ConstMatrixF& heads, float* send);
void unpack_sequence_split(const UlyssesLayout& layout, const float* recv,
                           const kernels::MatrixF& sequence);

// The exchanges themselves (one all-to-all each on sp, counted by its
// ledger), through send and recv buffers of buffer_elements() floats.
void sequence_to_heads(comm::Communicator& sp, const UlyssesLayout& layout,
                       const kernels::ConstMatrixF& sequence, const kernels::MatrixF& heads,
                       float* send, float* recv);
void heads_to_sequence(comm::Communicator& sp, const UlyssesLayout& layout,
                       const kernels::ConstMatrixF& heads, const kernels::MatrixF& sequence,
                       float* send, float* recv);

}  // namespace strata::sequence
