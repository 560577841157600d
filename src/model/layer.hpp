// Layer: one stage of the model with an explicit forward and backward. The
// engine hands every call the parameter and gradient buffers, so where
// parameters live (whole, ZeRO-gathered, TP-sharded) is the engine's choice.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/views.hpp"
#include "model/param_spec.hpp"

namespace strata::model {

// One flat fp32 buffer per parameter, in the order params() then
// shared_params() list them. Views wrap memory the engine owns.
using ParamViews = std::vector<kernels::UnmanagedVector<float>>;

// What one micro-batch pass shares across layers. Rows are B·T positions.
struct StepContext {
  int batch = 0;                                           // B
  int seq = 0;                                             // T
  Kokkos::View<std::int32_t*, kernels::MemSpace> tokens;   // [B·T] inputs
  Kokkos::View<std::int32_t*, kernels::MemSpace> targets;  // [B·T] next tokens
  // True: the final layer folds the loss gradient into its logits in the
  // forward (fused cross-entropy), so backward may follow. False: eval only.
  bool training = true;
  // d objective / d (each row's loss): 1 / (B·T·grad_accum).
  float dloss = 0.0f;
  double loss = 0.0;  // set by the final layer's forward: mean over rows
  // Global position of each sample's first row here: 0, or r·T under Ulysses
  // sequence parallelism, where rank r holds positions r·T … (r+1)·T − 1.
  int position_offset = 0;

  std::int64_t rows() const { return static_cast<std::int64_t>(batch) * seq; }
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string name() const = 0;
  // The parameters this layer owns (their gradients belong to it too).
  virtual std::vector<ParamSpec> params() const = 0;
  // Parameters owned by another layer that this one also reads and whose
  // gradients it adds to (the tied LM head reads wte). By name.
  virtual std::vector<std::string> shared_params() const { return {}; }

  // Consumes the residual stream `input` [B·T, C] (ignored by the first
  // layer) and returns this layer's output, which the layer owns and keeps
  // until its backward (the next layer reads it in its own backward). The
  // final layer returns an empty matrix and sets ctx.loss.
  virtual kernels::ConstMatrixF forward(StepContext& ctx, const ParamViews& params,
                                        const kernels::ConstMatrixF& input) = 0;

  // dresidual [B·T, C] holds d loss / d output on entry and d loss / d input
  // on return (updated in place: the residual stream's gradient is one
  // buffer). Parameter gradients are ADDED to grads (micro-batches and tied
  // weights accumulate). The final layer overwrites dresidual.
  virtual void backward(StepContext& ctx, const ParamViews& params, const ParamViews& grads,
                        const kernels::MatrixF& dresidual) = 0;

  // Activation checkpointing. A checkpointed layer keeps only its output
  // between forward and backward; the engine calls recompute() right before
  // backward(), with the same params (those acquired for backward), and it
  // rebuilds what backward reads from the input the forward was given (kept
  // by the layer before). The engine, not backward(), makes the call so that
  // the extra forward is visible where passes are scheduled and timed.
  virtual bool checkpointed() const { return false; }
  virtual void recompute(StepContext& /*ctx*/, const ParamViews& /*params*/) {}
};

// Helpers for layer implementations.
inline kernels::MatrixF as_matrix(const Tensor& tensor, std::int64_t rows, std::int64_t cols) {
  return kernels::MatrixF(tensor.data<float>(), rows, cols);
}
inline kernels::VectorF as_vector(const Tensor& tensor) {
  return kernels::VectorF(tensor.data<float>(), tensor.numel());
}
inline kernels::ConstMatrixF as_matrix(const kernels::UnmanagedVector<float>& flat,
                                       std::int64_t rows, std::int64_t cols) {
  return kernels::ConstMatrixF(flat.data(), rows, cols);
}
inline kernels::MatrixF as_grad_matrix(const kernels::UnmanagedVector<float>& flat,
                                       std::int64_t rows, std::int64_t cols) {
  return kernels::MatrixF(flat.data(), rows, cols);
}
// Index of the spec called `name` in specs, or -1 (a bias when bias = false).
int find_param(const std::vector<ParamSpec>& specs, const std::string& name);
// The view at index, or an empty one for index -1 (kernels skip empty views).
kernels::VectorF optional_view(const ParamViews& views, int index);

}  // namespace strata::model
