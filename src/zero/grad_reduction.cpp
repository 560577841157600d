// Gradients: where layers add them, and how each chunk's gradient reaches
// its owner once complete. A bucket gathers complete chunks until it holds
// reduce_bucket_size elements, then goes out as one collective: packed
// contiguously for an all-reduce, or rank-major (every rank's block of
// every chunk together) for a reduce-scatter, so each rank receives its
// shards of all the bucket's chunks in one piece.
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstddef>

#include "core/contract.hpp"
#include "zero/impl/convert.hpp"
#include "zero/impl/store_state.hpp"

namespace strata::zero {

bool ZeroStore::Impl::deferred(const Chunk& chunk) const {
  return !chunk.partitioned || options.stage == 1;
}

float* ZeroStore::Impl::grad_accumulator(std::size_t c) {
  auto found = grad_slots.find(c);
  if (found != grad_slots.end()) return found->second.data;
  const Chunk& chunk = layout.chunks()[c];
  GradSlot& slot = grad_slots[c];
  if (!mixed && deferred(chunk)) {
    // fp32 storage that keeps the whole chunk across micro-batches: layers
    // add into it directly, as on one rank.
    slot.data = static_cast<float*>(grad_storage(c));
  } else {
    slot.scratch =
        Tensor(ledger, "zero.grads.fp32", DType::fp32, {chunk.padded}, MemoryCategory::workspace);
    slot.data = slot.scratch.data<float>();
  }
  return slot.data;
}

void ZeroStore::Impl::complete_grads(std::size_t c) {
  const Chunk& chunk = layout.chunks()[c];
  if (deferred(chunk)) {
    GradSlot& slot = grad_slots.at(c);
    if (slot.scratch.defined())
      impl::accumulate(slot.data, DType::fp32, grad_storage(c), dtype, chunk.padded);
    grad_slots.erase(c);
    if (!last_micro || dp.size() == 1) return;
  } else if (dp.size() == 1) {
    // One rank: the shard is the whole chunk; add it in without a collective.
    impl::accumulate(grad_slots.at(c).data, DType::fp32, grad_storage(c), dtype, chunk.padded);
    grad_slots.erase(c);
    return;
  }
  const Reduction kind = chunk.partitioned ? Reduction::reduce_scatter : Reduction::all_reduce;
  Pending& bucket = pending[static_cast<int>(kind)];
  bucket.chunks.push_back(c);
  bucket.elements += chunk.padded;
  if (bucket.elements >= options.reduce_bucket_size) launch(kind);
}

Tensor ZeroStore::Impl::bucket_buffer(const char* name, std::int64_t elements) {
  for (auto it = spare_buckets.begin(); it != spare_buckets.end(); ++it)
    if (it->numel() == elements) {
      Tensor buffer = std::move(*it);
      spare_buckets.erase(it);
      return buffer;
    }
  return Tensor(ledger, name, dtype, {elements}, MemoryCategory::comm_buffer);
}

void ZeroStore::Impl::recycle(Tensor& buffer) {
  if (buffer.defined()) spare_buckets.push_back(std::move(buffer));
  buffer = Tensor();
}

void ZeroStore::Impl::launch(Reduction kind, bool final) {
  Pending& bucket = pending[static_cast<int>(kind)];
  if (bucket.chunks.empty()) return;
  InFlight flight;
  flight.kind = kind;
  flight.chunks = std::move(bucket.chunks);
  std::sort(flight.chunks.begin(), flight.chunks.end());
  const std::int64_t total = bucket.elements;
  bucket = Pending{};
  // A started collective pays for libnbc's generic schedule; it is worth it
  // only when compute runs while it is in flight, never for the final flush.
  const bool overlap = options.overlap_comm && !final;
  if (kind == Reduction::all_reduce) {
    if (void* storage = in_place_storage(flight.chunks)) {
      if (overlap) {
        flight.request = dp.start_all_reduce(storage, total, dtype);
        in_flight.push_back(std::move(flight));
      } else {
        dp.all_reduce(storage, total, dtype);
      }
      return;
    }
  }
  flight.send = bucket_buffer("zero.bucket", total);

  // Source of chunk c's gradient: fp32 scratch (per-micro-batch chunks) or
  // the dtype storage (deferred chunks).
  auto source = [&](std::size_t c, std::int64_t from, std::int64_t count, std::int64_t to) {
    auto slot = grad_slots.find(c);
    if (slot != grad_slots.end())
      impl::convert(slot->second.data + from, DType::fp32,
                    impl::at(flight.send.raw_data(), dtype, to), dtype, count);
    else
      impl::convert(impl::at(grad_storage(c), dtype, from), dtype,
                    impl::at(flight.send.raw_data(), dtype, to), dtype, count);
  };
  std::int64_t at = 0;
  if (kind == Reduction::all_reduce) {
    for (std::size_t c : flight.chunks) {
      source(c, 0, layout.chunks()[c].padded, at);
      at += layout.chunks()[c].padded;
    }
  } else {
    for (int r = 0; r < dp.size(); ++r)
      for (std::size_t c : flight.chunks) {
        const std::int64_t block = layout.chunks()[c].local_size;
        source(c, r * block, block, at);
        at += block;
      }
    flight.recv = bucket_buffer("zero.bucket.shard", total / dp.size());
  }
  for (std::size_t c : flight.chunks) grad_slots.erase(c);

  if (!overlap) {
    // Nothing to overlap, so the blocking collective: MPI runs its tuned
    // algorithms there, and a generic schedule for the started ones.
    if (kind == Reduction::all_reduce)
      dp.all_reduce(flight.send.raw_data(), total, dtype);
    else
      dp.reduce_scatter(flight.send.raw_data(), flight.recv.raw_data(), total / dp.size(), dtype);
    unpack(flight);
    return;
  }
  if (kind == Reduction::all_reduce)
    flight.request = dp.start_all_reduce(flight.send.raw_data(), total, dtype);
  else
    flight.request = dp.start_reduce_scatter(flight.send.raw_data(), flight.recv.raw_data(),
                                             total / dp.size(), dtype);
  in_flight.push_back(std::move(flight));
}

void* ZeroStore::Impl::in_place_storage(const std::vector<std::size_t>& chunks) {
  // Complete deferred chunks hold their gradient in the dtype storage (their
  // fp32 scratch, if any, was folded in and dropped by complete_grads).
  const std::int64_t element = size_in_bytes(dtype);
  auto* next = static_cast<std::byte*>(grad_storage(chunks.front()));
  void* start = next;
  for (std::size_t c : chunks) {
    if (grad_slots.count(c) != 0 || grad_storage(c) != next) return nullptr;
    next += layout.chunks()[c].padded * element;
  }
  return start;
}

void ZeroStore::Impl::unpack(InFlight& flight) {
  if (!flight.send.defined()) return;  // reduced in place
  std::int64_t at = 0;
  for (std::size_t c : flight.chunks) {
    const Chunk& chunk = layout.chunks()[c];
    if (flight.kind == Reduction::all_reduce) {
      impl::convert(impl::at(flight.send.raw_data(), dtype, at), dtype, grad_storage(c), dtype,
                    chunk.padded);
      at += chunk.padded;
      continue;
    }
    const void* shard = impl::at(flight.recv.raw_data(), dtype, at);
    if (options.stage == 1)  // the reduced shard replaces the full buffer's local part
      impl::convert(shard, dtype, grad_piece(c), dtype, chunk.local_size);
    else  // stages 2-3: micro-batches add up in the gradient partition
      impl::accumulate(shard, dtype, grad_piece(c), dtype, chunk.local_size);
    at += chunk.local_size;
  }
  recycle(flight.send);
  recycle(flight.recv);
}

void ZeroStore::Impl::flush_reductions() {
  launch(Reduction::reduce_scatter, true);
  launch(Reduction::all_reduce, true);
  for (InFlight& flight : in_flight) {
    flight.request.wait();
    unpack(flight);
  }
  in_flight.clear();
}

void ZeroStore::Impl::progress() {
  for (InFlight& flight : in_flight) flight.request.test();
  for (auto& [chunk, entry] : live)
    if (entry.gather.active()) entry.gather.test();
}

void ZeroStore::begin_micro_batch(bool last_of_step) {
  impl_->last_micro = last_of_step;
  impl_->drop_unused();
}

model::ParamViews ZeroStore::acquire_grads(std::size_t layer) {
  Impl& s = *impl_;
  model::ParamViews views;
  for (std::size_t spec : s.layer_specs[layer]) {
    const auto& place = layout_.placement(spec);
    views.emplace_back(s.grad_accumulator(layout_.chunk_of(spec)) + place.offset,
                       static_cast<std::size_t>(place.numel));
  }
  return views;
}

void ZeroStore::release_grads(std::size_t layer) {
  Impl& s = *impl_;
  for (std::size_t c : s.layer_chunks[layer])
    if (s.last_backward_layer[c] == layer) s.complete_grads(c);
  s.progress();
}

void ZeroStore::finish_backward() { impl_->flush_reductions(); }

void ZeroStore::zero_grads() {
  Impl& s = *impl_;
  for (Tensor* grads : {&s.full_grads, &s.local_grads})
    if (grads->defined())
      impl::fill_zero(grads->raw_data(), static_cast<std::size_t>(grads->bytes()));
}

}  // namespace strata::zero
