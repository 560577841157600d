// ZeroStore: one rank's parameters, gradients and optimizer states under a
// ZeRO stage (0-3) and precision (fp32, bf16, fp16), and the communication
// that keeps them consistent across the DP group. The engine drives it
// layer by layer, and layers only ever see fp32 views it hands out, so
// where and in what precision state lives is decided here alone:
//
//   forward  layer l:  acquire_params(l) .. layer.forward .. release_params(l)
//   backward layer l:  acquire_params(l), acquire_grads(l) .. layer.backward
//                      .. release_grads(l), release_params(l)
//   end of a micro-batch's backward: finish_backward()
//   after the step's last micro-batch: grad norm, overflow check, step()
//
// Stage 3 gathers a chunk's parameters at acquire (prefetching the next
// layers' within prefetch_bucket_size and max_live_parameters) and frees
// them at release. Gradients of a chunk are complete after the last layer
// that touches it in backward (the tied wte: the embedding, after the head
// has added its part); they are then reduced in buckets of
// reduce_bucket_size elements: all-reduced (stage 0, persistent chunks),
// reduce-scattered on the last micro-batch into the full buffer's shard
// (stage 1), or reduce-scattered every micro-batch into the rank's gradient
// partition (stages 2 and 3).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "kernels/adamw.hpp"
#include "model/layer.hpp"
#include "zero/chunk_layout.hpp"
#include "zero/zero_options.hpp"

namespace strata::zero {

class ZeroStore {
 public:
  // layers: the model in forward order (the store reads their params() and
  // shared_params(); it keeps no reference). dp: the data-parallel group.
  ZeroStore(const std::vector<std::unique_ptr<model::Layer>>& layers, const ZeroOptions& options,
            comm::Communicator& dp, MemoryLedger& ledger);
  ~ZeroStore();
  ZeroStore(const ZeroStore&) = delete;
  ZeroStore& operator=(const ZeroStore&) = delete;

  const ChunkLayout& layout() const { return layout_; }
  const ZeroOptions& options() const { return options_; }

  // Every parameter from (seed, name, logical index): each rank fills its
  // own pieces, as the layout-free rule asks, then the working copies are
  // refreshed.
  void initialize(std::uint64_t seed);

  void begin_micro_batch(bool last_of_step);
  model::ParamViews acquire_params(std::size_t layer, bool backward);
  void release_params(std::size_t layer);
  model::ParamViews acquire_grads(std::size_t layer);
  void release_grads(std::size_t layer);
  void finish_backward();
  // End of a forward-only or forward-backward pass: frees parameters kept
  // or prefetched for a next use that is not coming.
  void end_pass();
  void zero_grads();

  // Σ g² over the DP group's gradients (each element once), in double.
  double grad_sum_of_squares();
  // The same, apart for parameters that tensor parallelism splits (each TP
  // rank sums its own piece) and those every TP rank holds whole (the same
  // sum on each): the TP-wide norm adds the first over the TP group and
  // takes the second once.
  struct GradSquares {
    double split = 0;
    double whole = 0;
  };
  GradSquares grad_squares_by_split();
  // Averages the gradients of the parameters without a TP split over the
  // TP group, in one all-reduce: every TP rank computes them from the same
  // replicated activations, and this keeps their copies (and so their
  // parameters) identical whatever the rounding of the collectives that led
  // there. Call once the step's gradients are reduced.
  void average_whole_grads(comm::Communicator& tp);
  // Whether any rank holds a non-finite gradient (fp16 overflow).
  bool has_overflow();
  // AdamW on this rank's pieces; grad_scale multiplies gradients first
  // (clip coefficient / loss scale). Then every rank's working parameters
  // are refreshed (narrowed, all-gathered at stages 1-2).
  void step(std::int64_t step_count, const kernels::AdamWHyper& hyper, float grad_scale);

  // This rank's part of every parameter for the checkpoint: fp32 master
  // values and Adam moments, a tensor-parallel block as its runs of the
  // logical tensor. Replicated chunks are written by DP rank 0 only and read
  // by every rank. write_unsplit = false: this rank writes none of the
  // parameters without a TensorSplit, which every TP rank holds alike (pass
  // tp rank == 0); reading is unaffected.
  std::vector<io::ParameterShard> checkpoint_shards(bool write_unsplit = true) const;
  std::vector<io::ParameterTarget> checkpoint_targets();
  // After loading targets: refresh the working parameters from the master.
  void publish_params();

  // Stage 3: gathered elements alive now and at most so far.
  std::int64_t live_gathered() const;
  std::int64_t peak_gathered() const;
  // The largest set of gathered elements one layer needs at once.
  std::int64_t largest_layer_gather() const;

  // Index of the parameter called name; a programming error if absent.
  std::size_t index_of(const std::string& name) const;
  // Overwrites this rank's piece of parameter `spec` (values: all of it, in
  // logical order) in the master copy; publish_params() makes it visible.
  void set_param(std::size_t spec, const std::vector<float>& values);

  // fp32 copy of the full logical parameter `spec` (gathers at stage 3), or
  // of this rank's whole TP piece of a split one, in local order: for tests
  // and the reference dump. Collective over the DP group.
  std::vector<float> full_param(std::size_t spec);
  // fp32 copy of the gradient of `spec`, full, reduced (after
  // finish_backward of the last micro-batch). Collective over DP.
  std::vector<float> full_grad(std::size_t spec);

 private:
  struct Impl;
  ZeroOptions options_;
  ChunkLayout layout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::zero
