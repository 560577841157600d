// ParamStore: flat buffers and per-spec views; initialisation by spec.
#include "engine/param_store.hpp"

#include <Kokkos_Core.hpp>

#include "core/error.hpp"

namespace strata::engine {

ParamStore::ParamStore(std::vector<model::ParamSpec> specs, MemoryLedger& ledger)
    : specs_(std::move(specs)) {
  for (const auto& spec : specs_) {
    offsets_.push_back(total_);
    total_ += model::numel(spec);
  }
  params_ = Tensor(ledger, "params", DType::fp32, {total_}, MemoryCategory::param);
  grads_ = Tensor(ledger, "grads", DType::fp32, {total_}, MemoryCategory::grad);
  m_ = Tensor(ledger, "adamw.exp_avg", DType::fp32, {total_}, MemoryCategory::optimizer);
  v_ = Tensor(ledger, "adamw.exp_avg_sq", DType::fp32, {total_}, MemoryCategory::optimizer);
}

void ParamStore::initialize(std::uint64_t seed) {
  // Host-side fill through a mirror, so a device build initialises the same
  // values (initialize_slice is host code).
  auto host = Kokkos::create_mirror_view(params_.device_span<float>());
  for (std::size_t i = 0; i < specs_.size(); ++i)
    model::initialize_slice(specs_[i], seed, 0, model::numel(specs_[i]), host.data() + offsets_[i]);
  Kokkos::deep_copy(params_.device_span<float>(), host);
}

std::size_t ParamStore::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return i;
  throw STRATA_ERROR("no parameter named '" + name + "' in the model", "ParamStore",
                     "a layer names a shared parameter the model does not have");
}

kernels::UnmanagedVector<float> ParamStore::slice(const Tensor& buffer, std::size_t index) const {
  return kernels::UnmanagedVector<float>(buffer.data<float>() + offsets_[index],
                                         static_cast<std::size_t>(model::numel(specs_[index])));
}

std::vector<std::size_t> ParamStore::layer_indices(const model::Layer& layer) const {
  std::vector<std::size_t> indices;
  for (const auto& spec : layer.params()) indices.push_back(index_of(spec.name));
  for (const auto& name : layer.shared_params()) indices.push_back(index_of(name));
  return indices;
}

model::ParamViews ParamStore::param_views(const model::Layer& layer) const {
  model::ParamViews views;
  for (auto i : layer_indices(layer)) views.push_back(param(i));
  return views;
}

model::ParamViews ParamStore::grad_views(const model::Layer& layer) const {
  model::ParamViews views;
  for (auto i : layer_indices(layer)) views.push_back(grad(i));
  return views;
}

void ParamStore::zero_grads() { Kokkos::deep_copy(grads_.device_span<float>(), 0.0f); }

}  // namespace strata::engine
