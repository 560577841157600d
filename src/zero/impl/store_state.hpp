// ZeroStore's private state, shared by the files that implement it
// (zero_store.cpp, param_gathering.cpp, grad_reduction.cpp,
// optimizer_step.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "zero/chunk_layout.hpp"
#include "zero/zero_options.hpp"
#include "zero/zero_store.hpp"

namespace strata::zero {

struct ZeroStore::Impl {
  Impl(const ZeroOptions& options, const ChunkLayout& layout, comm::Communicator& dp,
       MemoryLedger& ledger);

  const ZeroOptions& options;
  const ChunkLayout& layout;
  comm::Communicator& dp;
  MemoryLedger& ledger;
  DType dtype;  // parameters and gradients, stored and on the wire
  bool mixed;   // dtype != fp32: fp32 master weights exist
  bool last_micro = true;

  // Per layer: the specs its views list (params() then shared_params()),
  // and the chunks those live in, each once.
  std::vector<std::vector<std::size_t>> layer_specs;
  std::vector<std::vector<std::size_t>> layer_chunks;
  // Per chunk: the lowest layer touching it, i.e. the last in backward.
  std::vector<std::size_t> last_backward_layer;

  Tensor full_params;          // [full space] dtype: stages 0-2 all chunks, stage 3 persistent
  Tensor sharded_params;       // [sharded space] dtype: stage 3 shards
  Tensor full_grads;           // [full space] dtype: stages 0-1
  Tensor local_grads;          // [local space] dtype: stages 2-3
  Tensor master;               // [local space] fp32, mixed precision only
  Tensor exp_avg, exp_avg_sq;  // [local space] fp32

  // --- parameters handed to layers (param_gathering.cpp) ---
  struct LiveChunk {
    Tensor gathered;       // stage 3: the full chunk in dtype (fp32: also the working copy)
    Tensor widened;        // 16-bit: the fp32 working copy
    comm::Request gather;  // in flight until waited
    int users = 0;
    std::int64_t elements = 0;  // counted against the stage-3 bounds
  };
  std::map<std::size_t, LiveChunk> live;
  std::int64_t live_gathered = 0, peak_gathered = 0;
  // The access sequence of one micro-batch: (layer, backward) in order.
  std::vector<std::pair<std::size_t, bool>> sequence;
  std::size_t position = 0;

  float* working_params(std::size_t chunk);  // fp32 full chunk, valid while acquired
  void acquire_chunk(std::size_t chunk);
  void release_chunk(std::size_t chunk, bool reused_next);
  void start_gather(std::size_t chunk, int users);
  void prefetch_after(std::size_t position);
  void drop_unused();

  // --- gradients (grad_reduction.cpp) ---
  struct GradSlot {
    Tensor scratch;  // fp32 full chunk, when layers cannot add into storage directly
    float* data = nullptr;
  };
  std::map<std::size_t, GradSlot> grad_slots;
  enum class Reduction { all_reduce, reduce_scatter };
  struct Pending {
    std::vector<std::size_t> chunks;
    std::int64_t elements = 0;
  };
  Pending pending[2];
  struct InFlight {
    Reduction kind;
    std::vector<std::size_t> chunks;
    Tensor send, recv;  // undefined for an all-reduce in place
    comm::Request request;
  };
  // The storage of a bucket's chunks when they lie end to end in it, ready
  // for an all-reduce in place (stage 0 and replicated chunks hold their
  // whole gradient there); nullptr when the bucket must be packed.
  void* in_place_storage(const std::vector<std::size_t>& chunks);
  std::vector<InFlight> in_flight;
  // Bucket buffers kept between uses: every step packs the same buckets, and
  // a fresh allocation each time costs a zero-fill and first-touch page
  // faults of the whole gradient volume. They stay counted as comm_buffer.
  std::vector<Tensor> spare_buckets;
  Tensor bucket_buffer(const char* name, std::int64_t elements);
  void recycle(Tensor& buffer);

  bool deferred(const Chunk& chunk) const;  // reduced once per step, not per micro-batch
  float* grad_accumulator(std::size_t chunk);
  void complete_grads(std::size_t chunk);
  // final: the end-of-backward flush, waited for at once, so never started.
  void launch(Reduction kind, bool final = false);
  void unpack(InFlight& flight);
  void flush_reductions();
  // Drives MPI's progress on everything in flight (Open MPI moves a
  // non-blocking collective only inside MPI calls): called between layers,
  // so buckets and prefetches advance while the next layer computes.
  void progress();

  // --- storage addresses ---
  // The rank's piece of chunk c in working precision (dtype) and in fp32
  // master precision (the same memory when dtype is fp32).
  void* param_piece(std::size_t chunk);
  float* master_piece(std::size_t chunk);
  // The rank's piece of chunk c's gradients in dtype (after reduction).
  void* grad_piece(std::size_t chunk);
  // The whole chunk's gradient storage in dtype, for the deferred chunks.
  void* grad_storage(std::size_t chunk);
};

}  // namespace strata::zero
