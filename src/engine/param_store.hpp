// ParamStore: every parameter of one rank in one flat fp32 buffer, with a
// gradient buffer and AdamW's two moments beside it (ledger categories
// param, grad, optimizer), addressed per ParamSpec by offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/memory_ledger.hpp"
#include "core/tensor.hpp"
#include "kernels/views.hpp"
#include "model/layer.hpp"
#include "model/param_spec.hpp"

namespace strata::engine {

class ParamStore {
 public:
  // Stage 0, one rank: the whole model. Buffers start zeroed; call
  // initialize() for the parameters' starting values.
  ParamStore(std::vector<model::ParamSpec> specs, MemoryLedger& ledger);

  // Every parameter from (seed, name, logical index), as any layout would.
  void initialize(std::uint64_t seed);

  const std::vector<model::ParamSpec>& specs() const { return specs_; }
  std::int64_t total() const { return total_; }
  std::int64_t offset(std::size_t index) const { return offsets_[index]; }
  // Index of the spec called name; throws (a programming error) if absent.
  std::size_t index_of(const std::string& name) const;

  // One parameter's stretch of each buffer.
  kernels::UnmanagedVector<float> param(std::size_t index) const { return slice(params_, index); }
  kernels::UnmanagedVector<float> grad(std::size_t index) const { return slice(grads_, index); }
  kernels::UnmanagedVector<float> exp_avg(std::size_t index) const { return slice(m_, index); }
  kernels::UnmanagedVector<float> exp_avg_sq(std::size_t index) const { return slice(v_, index); }

  // The views a layer takes: its params() then its shared_params(), by name.
  model::ParamViews param_views(const model::Layer& layer) const;
  model::ParamViews grad_views(const model::Layer& layer) const;

  const Tensor& params() const { return params_; }
  const Tensor& grads() const { return grads_; }
  void zero_grads();

 private:
  kernels::UnmanagedVector<float> slice(const Tensor& buffer, std::size_t index) const;
  std::vector<std::size_t> layer_indices(const model::Layer& layer) const;

  std::vector<model::ParamSpec> specs_;
  std::vector<std::int64_t> offsets_;
  std::int64_t total_ = 0;
  Tensor params_, grads_, m_, v_;
};

}  // namespace strata::engine
