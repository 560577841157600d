// Tensor: a named, shaped block of fp32/bf16/fp16 elements in device or host
// memory, whose bytes are counted in a MemoryLedger for exactly as long as
// they exist.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/dtype.hpp"
#include "core/memory_ledger.hpp"

namespace strata {

using Shape = std::vector<std::int64_t>;
using DeviceMemorySpace = Kokkos::DefaultExecutionSpace::memory_space;

// False on the GPU backends: there the host may not dereference device
// tensors, and code that works on raw pointers (the ZeRO store) must run
// Kokkos kernels or copy through the host.
inline constexpr bool kDeviceMemoryIsHostMemory =
    Kokkos::SpaceAccessibility<Kokkos::HostSpace, DeviceMemorySpace>::accessible;

template <class T>
using DeviceSpan = Kokkos::View<T*, DeviceMemorySpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
template <class T>
using HostSpan = Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

std::int64_t numel(const Shape& shape);
std::string to_string(const Shape& shape);  // "[2, 3]"

namespace detail {
struct TensorStorage;  // the allocation and its ledger reservation, shared
}

// Copies are shallow, like Kokkos::View: they share the elements, and the
// bytes leave the ledger when the last copy goes. Spans and pointers handed
// out are unmanaged, valid only while some copy of the Tensor lives.
//
// Storage is one untyped byte View per tensor rather than a View of the
// element type: the dtype is a run-time choice ([precision] dtype), so a
// byte View keeps Tensor one non-template type without a variant of three
// View types, and it is what ZeRO's flat buffers and the checkpoint/swap
// I/O want anyway (they move bytes). Typed access reinterprets it; Kokkos
// aligns every allocation far beyond 4 bytes, so any dtype is aligned.
class Tensor {
 public:
  Tensor() = default;

  // Reserves bytes() in `ledger` first, so an over-budget request throws
  // before any memory is touched, then allocates zero-filled storage in the
  // tier's memory space: device -> DefaultExecutionSpace's, host -> HostSpace.
  // NVMe is not addressable memory; swap files live in io/.
  Tensor(MemoryLedger& ledger, std::string name, DType dtype, Shape shape, MemoryCategory category,
         MemoryTier tier = MemoryTier::device);

  // The same without the zero fill, for buffers the caller overwrites whole
  // before reading (a gather's destination, a conversion's output): at
  // ZeRO-3's per-layer rate the fill costs as much memory traffic as the
  // collective that follows it.
  struct Uninitialized {};
  static constexpr Uninitialized uninitialized{};
  Tensor(Uninitialized, MemoryLedger& ledger, std::string name, DType dtype, Shape shape,
         MemoryCategory category, MemoryTier tier = MemoryTier::device);

  bool defined() const noexcept { return storage_ != nullptr; }
  const std::string& name() const noexcept { return name_; }
  DType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  std::int64_t numel() const noexcept { return numel_; }
  std::size_t bytes() const noexcept {
    return static_cast<std::size_t>(numel_) * size_in_bytes(dtype_);
  }
  MemoryCategory category() const noexcept { return category_; }
  MemoryTier tier() const noexcept { return tier_; }
  // How many Tensor copies share this storage (0 when undefined).
  long use_count() const noexcept;

  // True when the host may dereference data<T>() directly (a host tensor,
  // or a device tensor on a backend whose device memory is host memory).
  bool host_accessible() const noexcept;

  // Elements in the tensor's memory space. T must match dtype().
  template <class T>
  T* data() const {
    STRATA_EXPECTS(defined());
    STRATA_EXPECTS(dtype_of_v<T> == dtype_);
    return reinterpret_cast<T*>(raw_bytes());
  }

  // The untyped bytes, for code whose element type is a run-time choice
  // (ZeRO's flat buffers, communication): it addresses them with dtype().
  void* raw_data() const {
    STRATA_EXPECTS(defined());
    return raw_bytes();
  }

  // 1-D unmanaged View of all numel() elements, for device kernels.
  template <class T>
  DeviceSpan<T> device_span() const {
    STRATA_EXPECTS(tier_ == MemoryTier::device);
    return DeviceSpan<T>(data<T>(), static_cast<std::size_t>(numel_));
  }

  // 1-D unmanaged View for host code; requires host_accessible().
  template <class T>
  HostSpan<T> host_span() const {
    STRATA_EXPECTS(host_accessible());
    return HostSpan<T>(data<T>(), static_cast<std::size_t>(numel_));
  }

  // All elements widened to fp32 on the host (exact for every dtype).
  std::vector<float> to_fp32() const;
  // A new fp32 tensor, same shape, named name() + suffix, in the same ledger
  // category and tier.
  Tensor to_fp32_tensor(MemoryLedger& ledger, const std::string& suffix = ".fp32") const;
  // Overwrites every element from count == numel() host floats, rounding to
  // nearest even for bf16/fp16.
  void copy_from_fp32(const float* values, std::size_t count);
  void copy_from_fp32(const std::vector<float>& values) {
    copy_from_fp32(values.data(), values.size());
  }

 private:
  unsigned char* raw_bytes() const noexcept;
  Tensor(bool zero_fill, MemoryLedger& ledger, std::string name, DType dtype, Shape shape,
         MemoryCategory category, MemoryTier tier);

  std::shared_ptr<detail::TensorStorage> storage_;
  std::string name_;
  DType dtype_ = DType::fp32;
  Shape shape_;
  std::int64_t numel_ = 0;
  MemoryCategory category_ = MemoryCategory::workspace;
  MemoryTier tier_ = MemoryTier::device;
};

}  // namespace strata
