// ZeroStore: the layout, the buffers each stage keeps, their addresses,
// initialisation and checkpoint pieces.
#include "zero/zero_store.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "core/error.hpp"
#include "kernels/precision_cast.hpp"
#include "zero/impl/convert.hpp"
#include "zero/impl/store_state.hpp"

namespace strata::zero {
namespace {

std::vector<model::ParamSpec> all_specs(const std::vector<std::unique_ptr<model::Layer>>& layers) {
  std::vector<model::ParamSpec> specs;
  for (const auto& layer : layers)
    for (auto& spec : layer->params()) specs.push_back(std::move(spec));
  return specs;
}

std::vector<std::vector<std::size_t>> owned_specs(
    const std::vector<std::unique_ptr<model::Layer>>& layers) {
  std::vector<std::vector<std::size_t>> owned(layers.size());
  std::size_t next = 0;
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t i = 0; i < layers[l]->params().size(); ++i) owned[l].push_back(next++);
  return owned;
}

LayoutOptions layout_options(const ZeroOptions& options, const comm::Communicator& dp) {
  return {options.stage, dp.size(), dp.rank(), options.param_persistence_threshold};
}

std::size_t spec_index(const ChunkLayout& layout, const std::string& name) {
  for (std::size_t i = 0; i < layout.specs().size(); ++i)
    if (layout.specs()[i].name == name) return i;
  throw STRATA_ERROR("no parameter named '" + name + "' in the model", "ZeroStore",
                     "a layer names a shared parameter the model does not have");
}

// Local elements [begin, begin + count) of the parameter as runs of its
// logical tensor: one run, or several for a tensor-parallel block, in local
// order, which for every TensorSplit is increasing logical order as the
// checkpoint's selections need.
io::TensorSlice slice_of(const model::ParamSpec& spec, std::int64_t begin, std::int64_t count) {
  io::TensorSlice slice;
  for (auto d : spec.shape) slice.shape.push_back(static_cast<std::uint64_t>(d));
  for (const model::LogicalRun& run : model::local_runs(spec, begin, begin + count))
    slice.runs.push_back(
        {static_cast<std::uint64_t>(run.logical_begin), static_cast<std::uint64_t>(run.count)});
  return slice;
}

// n elements of type at src (a store buffer) widened into host floats.
void read_widened(const void* src, DType type, float* host_dst, std::int64_t n) {
  if constexpr (kDeviceMemoryIsHostMemory) {
    impl::convert(src, type, host_dst, DType::fp32, n);
  } else {
    std::vector<std::byte> bytes(static_cast<std::size_t>(n) * size_in_bytes(type));
    impl::copy_to_host(src, bytes.data(), bytes.size());
    kernels::precision_cast::widen(bytes.data(), type, host_dst, n);
  }
}

}  // namespace

ZeroStore::Impl::Impl(const ZeroOptions& options_in, const ChunkLayout& layout_in,
                      comm::Communicator& dp_in, MemoryLedger& ledger_in)
    : options(options_in),
      layout(layout_in),
      dp(dp_in),
      ledger(ledger_in),
      dtype(options_in.dtype),
      mixed(options_in.dtype != DType::fp32) {}

ZeroStore::ZeroStore(const std::vector<std::unique_ptr<model::Layer>>& layers,
                     const ZeroOptions& options, comm::Communicator& dp, MemoryLedger& ledger)
    : options_(options),
      layout_(all_specs(layers), owned_specs(layers), layout_options(options, dp)),
      impl_(std::make_unique<Impl>(options_, layout_, dp, ledger)) {
  Impl& s = *impl_;
  const auto& chunks = layout_.chunks();
  s.last_backward_layer.assign(chunks.size(), layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    std::vector<std::size_t> specs;
    for (const auto& spec : layers[l]->params()) specs.push_back(spec_index(layout_, spec.name));
    for (const auto& name : layers[l]->shared_params()) specs.push_back(spec_index(layout_, name));
    std::vector<std::size_t> touched;
    for (auto spec : specs) {
      const std::size_t chunk = layout_.chunk_of(spec);
      if (std::find(touched.begin(), touched.end(), chunk) == touched.end())
        touched.push_back(chunk);
      s.last_backward_layer[chunk] = std::min(s.last_backward_layer[chunk], l);
    }
    s.layer_specs.push_back(std::move(specs));
    s.layer_chunks.push_back(std::move(touched));
  }
  for (std::size_t l = 0; l < layers.size(); ++l) s.sequence.push_back({l, false});
  for (std::size_t l = layers.size(); l-- > 0;) s.sequence.push_back({l, true});

  const int stage = options_.stage;
  auto make = [&](const char* name, DType type, std::int64_t n, MemoryCategory category) {
    return n > 0 ? Tensor(ledger, name, type, {n}, category) : Tensor();
  };
  s.full_params = make("zero.params", s.dtype, layout_.full_size(), MemoryCategory::param);
  s.sharded_params =
      make("zero.params.shard", s.dtype, layout_.sharded_size(), MemoryCategory::param);
  if (stage <= 1)
    s.full_grads = make("zero.grads", s.dtype, layout_.full_size(), MemoryCategory::grad);
  else
    s.local_grads = make("zero.grads.shard", s.dtype, layout_.local_size(), MemoryCategory::grad);
  if (s.mixed)
    s.master = make("zero.master", DType::fp32, layout_.local_size(), MemoryCategory::optimizer);
  s.exp_avg = make("adamw.exp_avg", DType::fp32, layout_.local_size(), MemoryCategory::optimizer);
  s.exp_avg_sq =
      make("adamw.exp_avg_sq", DType::fp32, layout_.local_size(), MemoryCategory::optimizer);
}

ZeroStore::~ZeroStore() = default;

void* ZeroStore::Impl::param_piece(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  if (chunk.resident_offset >= 0)
    return impl::at(full_params.raw_data(), dtype, chunk.resident_offset + chunk.local_begin);
  return impl::at(sharded_params.raw_data(), dtype, chunk.sharded_offset);
}

float* ZeroStore::Impl::master_piece(std::size_t c) {
  if (mixed) return master.data<float>() + layout.chunks()[c].local_offset;
  return static_cast<float*>(param_piece(c));
}

void* ZeroStore::Impl::grad_storage(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  if (options.stage <= 1) return impl::at(full_grads.raw_data(), dtype, chunk.resident_offset);
  return impl::at(local_grads.raw_data(), dtype, chunk.local_offset);
}

void* ZeroStore::Impl::grad_piece(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  if (options.stage <= 1)
    return impl::at(full_grads.raw_data(), dtype, chunk.resident_offset + chunk.local_begin);
  return impl::at(local_grads.raw_data(), dtype, chunk.local_offset);
}

void ZeroStore::initialize(std::uint64_t seed) {
  Impl& s = *impl_;
  for (std::size_t spec = 0; spec < layout_.specs().size(); ++spec) {
    const auto run = layout_.local_run(spec);
    if (run.count == 0) continue;
    const std::size_t c = layout_.chunk_of(spec);
    float* piece = s.master_piece(c) + (run.local_index - layout_.chunks()[c].local_offset);
    if constexpr (kDeviceMemoryIsHostMemory) {
      model::initialize_local_slice(layout_.specs()[spec], seed, run.spec_begin,
                                    run.spec_begin + run.count, piece);
    } else {  // Philox runs on the host; the slice travels once
      std::vector<float> values(static_cast<std::size_t>(run.count));
      model::initialize_local_slice(layout_.specs()[spec], seed, run.spec_begin,
                                    run.spec_begin + run.count, values.data());
      impl::copy_from_host(values.data(), piece, values.size() * sizeof(float));
    }
  }
  publish_params();
}

std::vector<io::ParameterShard> ZeroStore::checkpoint_shards(bool write_unsplit) const {
  Impl& s = *impl_;
  std::vector<io::ParameterShard> shards;
  for (std::size_t spec = 0; spec < layout_.specs().size(); ++spec) {
    const std::size_t c = layout_.chunk_of(spec);
    const Chunk& chunk = layout_.chunks()[c];
    auto run = layout_.local_run(spec);
    // Every rank holds a replicated chunk whole; one writer is enough and
    // HDF5 forbids overlapping collective writes.
    if (!chunk.partitioned && s.dp.rank() != 0) run.count = 0;
    // Likewise every tensor-parallel rank holds an unsplit parameter whole.
    if (!write_unsplit && !layout_.specs()[spec].split) run.count = 0;
    const std::int64_t at = run.local_index - chunk.local_offset;
    shards.push_back({layout_.specs()[spec].name,
                      slice_of(layout_.specs()[spec], run.spec_begin, run.count),
                      s.master_piece(c) + at, s.exp_avg.data<float>() + run.local_index,
                      s.exp_avg_sq.data<float>() + run.local_index});
  }
  return shards;
}

std::vector<io::ParameterTarget> ZeroStore::checkpoint_targets() {
  Impl& s = *impl_;
  std::vector<io::ParameterTarget> targets;
  for (std::size_t spec = 0; spec < layout_.specs().size(); ++spec) {
    const std::size_t c = layout_.chunk_of(spec);
    const auto run = layout_.local_run(spec);
    const std::int64_t at = run.local_index - layout_.chunks()[c].local_offset;
    targets.push_back({layout_.specs()[spec].name,
                       slice_of(layout_.specs()[spec], run.spec_begin, run.count),
                       s.master_piece(c) + at, s.exp_avg.data<float>() + run.local_index,
                       s.exp_avg_sq.data<float>() + run.local_index});
  }
  return targets;
}

std::size_t ZeroStore::index_of(const std::string& name) const { return spec_index(layout_, name); }

void ZeroStore::set_param(std::size_t spec, const std::vector<float>& values) {
  const std::size_t c = layout_.chunk_of(spec);
  const auto run = layout_.local_run(spec);
  if (run.count == 0) return;
  impl::copy_from_host(
      values.data() + run.spec_begin,
      impl_->master_piece(c) + (run.local_index - layout_.chunks()[c].local_offset),
      static_cast<std::size_t>(run.count) * sizeof(float));
}

std::int64_t ZeroStore::live_gathered() const { return impl_->live_gathered; }
std::int64_t ZeroStore::peak_gathered() const { return impl_->peak_gathered; }

std::int64_t ZeroStore::largest_layer_gather() const {
  std::int64_t largest = 0;
  for (const auto& chunks : impl_->layer_chunks) {
    std::int64_t need = 0;
    for (auto c : chunks)
      if (layout_.chunks()[c].resident_offset < 0) need += layout_.chunks()[c].padded;
    largest = std::max(largest, need);
  }
  return largest;
}

std::vector<float> ZeroStore::full_param(std::size_t spec) {
  Impl& s = *impl_;
  const std::size_t c = layout_.chunk_of(spec);
  const Chunk& chunk = layout_.chunks()[c];
  std::vector<float> values(static_cast<std::size_t>(model::local_numel(layout_.specs()[spec])),
                            0.0f);
  const auto run = layout_.local_run(spec);
  // Sum of disjoint pieces (zeros elsewhere) is exact.
  if (run.count > 0 && (chunk.partitioned || s.dp.rank() == 0))
    impl::copy_to_host(s.master_piece(c) + (run.local_index - chunk.local_offset),
                       values.data() + run.spec_begin,
                       static_cast<std::size_t>(run.count) * sizeof(float));
  s.dp.all_reduce(values.data(), static_cast<std::int64_t>(values.size()), DType::fp32);
  return values;
}

std::vector<float> ZeroStore::full_grad(std::size_t spec) {
  Impl& s = *impl_;
  const std::size_t c = layout_.chunk_of(spec);
  const Chunk& chunk = layout_.chunks()[c];
  std::vector<float> values(static_cast<std::size_t>(model::local_numel(layout_.specs()[spec])),
                            0.0f);
  const auto run = layout_.local_run(spec);
  if (run.count > 0 && (chunk.partitioned || s.dp.rank() == 0))
    read_widened(impl::at(s.grad_piece(c), s.dtype, run.local_index - chunk.local_offset), s.dtype,
                 values.data() + run.spec_begin, run.count);
  s.dp.all_reduce(values.data(), static_cast<std::int64_t>(values.size()), DType::fp32);
  return values;
}

}  // namespace strata::zero
