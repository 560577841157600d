// Tensor allocation (ledger first, then memory) and its fp32 conversions.
#include "core/tensor.hpp"

#include <limits>
#include <type_traits>
#include <utility>

#include "core/error.hpp"

namespace strata {

namespace detail {

// Members are destroyed in reverse order: the memory goes first, then its
// reservation, so the ledger never shows less than what is allocated.
struct TensorStorage {
  LedgerReservation reservation;
  Kokkos::View<unsigned char*, DeviceMemorySpace> device_bytes;
  Kokkos::View<unsigned char*, Kokkos::HostSpace> host_bytes;
};

}  // namespace detail

namespace {

template <class Element>
void widen_all(const unsigned char* bytes, std::size_t count, float* out) {
  const Element* elements = reinterpret_cast<const Element*>(bytes);
  for (std::size_t i = 0; i < count; ++i) out[i] = widen(elements[i]);
}

template <class Element>
void narrow_all(const float* values, std::size_t count, unsigned char* bytes) {
  Element* elements = reinterpret_cast<Element*>(bytes);
  for (std::size_t i = 0; i < count; ++i) elements[i] = narrow<Element>(values[i]);
}

}  // namespace

std::int64_t numel(const Shape& shape) {
  std::int64_t count = 1;
  for (std::int64_t extent : shape) {
    STRATA_EXPECTS(extent >= 0);
    STRATA_EXPECTS(extent == 0 || count <= std::numeric_limits<std::int64_t>::max() / extent);
    count *= extent;
  }
  return count;
}

std::string to_string(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Tensor::Tensor(MemoryLedger& ledger, std::string name, DType dtype, Shape shape,
               MemoryCategory category, MemoryTier tier)
    : Tensor(true, ledger, std::move(name), dtype, std::move(shape), category, tier) {}

Tensor::Tensor(Uninitialized, MemoryLedger& ledger, std::string name, DType dtype, Shape shape,
               MemoryCategory category, MemoryTier tier)
    : Tensor(false, ledger, std::move(name), dtype, std::move(shape), category, tier) {}

Tensor::Tensor(bool zero_fill, MemoryLedger& ledger, std::string name, DType dtype, Shape shape,
               MemoryCategory category, MemoryTier tier)
    : name_(std::move(name)),
      dtype_(dtype),
      shape_(std::move(shape)),
      numel_(strata::numel(shape_)),
      category_(category),
      tier_(tier) {
  if (tier_ == MemoryTier::nvme)
    throw Error("tensor '" + name_ + "' was asked for on the nvme tier", "Tensor",
                "NVMe holds swap files (io/), not addressable tensors; this is a bug in Strata",
                ErrorScope::this_rank);
  auto storage = std::make_shared<detail::TensorStorage>();
  storage->reservation =
      ledger.reserve(category_, tier_, bytes(), "tensor '" + name_ + "' " + to_string(shape_));
  // The label lets Kokkos' memory tools name the allocation too.
  if (zero_fill) {
    if (tier_ == MemoryTier::device)
      storage->device_bytes = Kokkos::View<unsigned char*, DeviceMemorySpace>(name_, bytes());
    else
      storage->host_bytes = Kokkos::View<unsigned char*, Kokkos::HostSpace>(name_, bytes());
  } else {
    const auto alloc = Kokkos::view_alloc(name_, Kokkos::WithoutInitializing);
    if (tier_ == MemoryTier::device)
      storage->device_bytes = Kokkos::View<unsigned char*, DeviceMemorySpace>(alloc, bytes());
    else
      storage->host_bytes = Kokkos::View<unsigned char*, Kokkos::HostSpace>(alloc, bytes());
  }
  storage_ = std::move(storage);
  STRATA_ENSURES(reinterpret_cast<std::uintptr_t>(raw_bytes()) % alignof(float) == 0);
}

long Tensor::use_count() const noexcept { return storage_.use_count(); }

bool Tensor::host_accessible() const noexcept {
  return defined() && (tier_ == MemoryTier::host || kDeviceMemoryIsHostMemory);
}

unsigned char* Tensor::raw_bytes() const noexcept {
  return tier_ == MemoryTier::device ? storage_->device_bytes.data() : storage_->host_bytes.data();
}

std::vector<float> Tensor::to_fp32() const {
  STRATA_EXPECTS(defined());
  std::vector<float> values(static_cast<std::size_t>(numel_));
  const auto count = values.size();
  auto widen_from = [&](const unsigned char* bytes) {
    switch (dtype_) {
      case DType::fp32: widen_all<float>(bytes, count, values.data()); break;
      case DType::bf16: widen_all<bf16_t>(bytes, count, values.data()); break;
      case DType::fp16: widen_all<fp16_t>(bytes, count, values.data()); break;
    }
  };
  if (tier_ == MemoryTier::host || kDeviceMemoryIsHostMemory) {
    widen_from(raw_bytes());
  } else {
    // A GPU tensor: stage its bytes on the host; the staging copy is counted.
    const LedgerReservation staging = storage_->reservation.reserve_in_same_ledger(
        MemoryCategory::workspace, MemoryTier::host, bytes(), "host copy of '" + name_ + "'");
    auto host = Kokkos::create_mirror_view(storage_->device_bytes);
    Kokkos::deep_copy(host, storage_->device_bytes);
    widen_from(host.data());
  }
  return values;
}

Tensor Tensor::to_fp32_tensor(MemoryLedger& ledger, const std::string& suffix) const {
  STRATA_EXPECTS(defined());
  Tensor result(ledger, name_ + suffix, DType::fp32, shape_, category_, tier_);
  result.copy_from_fp32(to_fp32());
  return result;
}

void Tensor::copy_from_fp32(const float* values, std::size_t count) {
  STRATA_EXPECTS(defined());
  if (count != static_cast<std::size_t>(numel_))
    throw Error("copy_from_fp32 got " + std::to_string(count) + " values for tensor '" + name_ +
                    "' of shape " + to_string(shape_) + " (" + std::to_string(numel_) +
                    " elements)",
                "Tensor", "this is a bug in Strata; please report it", ErrorScope::this_rank);
  auto narrow_into = [&](unsigned char* bytes) {
    switch (dtype_) {
      case DType::fp32: narrow_all<float>(values, count, bytes); break;
      case DType::bf16: narrow_all<bf16_t>(values, count, bytes); break;
      case DType::fp16: narrow_all<fp16_t>(values, count, bytes); break;
    }
  };
  if (tier_ == MemoryTier::host || kDeviceMemoryIsHostMemory) {
    narrow_into(raw_bytes());
  } else {
    const LedgerReservation staging = storage_->reservation.reserve_in_same_ledger(
        MemoryCategory::workspace, MemoryTier::host, bytes(), "host copy of '" + name_ + "'");
    auto host = Kokkos::create_mirror_view(storage_->device_bytes);
    narrow_into(host.data());
    Kokkos::deep_copy(storage_->device_bytes, host);
  }
}

}  // namespace strata
