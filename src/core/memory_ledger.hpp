// MemoryLedger: every byte Strata allocates has an owner (a category) and a
// place (a tier). It keeps current and peak bytes per (category, tier) and
// per tier, and refuses device requests beyond the configured budget.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata {

enum class MemoryCategory { param, grad, optimizer, activation, comm_buffer, workspace };
enum class MemoryTier { device, host, nvme };

inline constexpr std::size_t kMemoryCategoryCount = 6;
inline constexpr std::size_t kMemoryTierCount = 3;
inline constexpr std::array<MemoryCategory, kMemoryCategoryCount> kAllMemoryCategories = {
    MemoryCategory::param,      MemoryCategory::grad,        MemoryCategory::optimizer,
    MemoryCategory::activation, MemoryCategory::comm_buffer, MemoryCategory::workspace};
inline constexpr std::array<MemoryTier, kMemoryTierCount> kAllMemoryTiers = {
    MemoryTier::device, MemoryTier::host, MemoryTier::nvme};

// "param", "grad", "optimizer", "activation", "comm_buffer", "workspace".
std::string_view name(MemoryCategory category) noexcept;
// "device", "host", "nvme".
std::string_view name(MemoryTier tier) noexcept;

// "512 B", "1.50 KiB", "3.25 GiB": binary units, two decimals above bytes.
std::string format_bytes(std::uint64_t bytes);

struct MemoryUsage {
  std::uint64_t current = 0;
  std::uint64_t peak = 0;
};

// A consistent copy of the ledger's counters at one moment. A tier's peak is
// the peak of its total, not the sum of its categories' peaks (they need not
// peak together).
struct MemorySnapshot {
  std::array<std::array<MemoryUsage, kMemoryTierCount>, kMemoryCategoryCount> by_category{};
  std::array<MemoryUsage, kMemoryTierCount> by_tier{};
  std::uint64_t device_budget = 0;  // 0 = unlimited

  const MemoryUsage& at(MemoryCategory category, MemoryTier tier) const {
    return by_category[static_cast<std::size_t>(category)][static_cast<std::size_t>(tier)];
  }
  const MemoryUsage& at(MemoryTier tier) const { return by_tier[static_cast<std::size_t>(tier)]; }
};

// ledger.json's "memory" object: {"device_budget": n, "tiers": {"device":
// {"current", "peak", "categories": {"param": {"current", "peak"}, ...}}, ...}}.
nlohmann::json to_json(const MemorySnapshot& snapshot);

// The end-of-run table: one row per category, current and peak per tier,
// then a total row. Pure, so the main job decides where it goes.
std::string format_memory_table(const MemorySnapshot& snapshot);

namespace detail {
struct LedgerBook;  // the counters, shared by the ledger and its reservations
}

// Owns `bytes` of the ledger's count until destroyed, moved from, or
// released. It keeps the counters alive itself, so it may outlive the
// MemoryLedger object that issued it.
class LedgerReservation {
 public:
  LedgerReservation() = default;
  LedgerReservation(LedgerReservation&& other) noexcept;
  LedgerReservation& operator=(LedgerReservation&& other) noexcept;
  LedgerReservation(const LedgerReservation&) = delete;
  LedgerReservation& operator=(const LedgerReservation&) = delete;
  ~LedgerReservation();

  void release() noexcept;
  std::uint64_t bytes() const noexcept { return bytes_; }
  MemoryCategory category() const noexcept { return category_; }
  MemoryTier tier() const noexcept { return tier_; }
  bool active() const noexcept { return book_ != nullptr; }

  // Reserves more in the ledger this reservation belongs to, with the same
  // budget check as MemoryLedger::reserve: for owners that hold only a
  // reservation (a Tensor staging a copy). Requires active().
  LedgerReservation reserve_in_same_ledger(MemoryCategory category, MemoryTier tier,
                                           std::uint64_t bytes, std::string_view what) const;

 private:
  friend class MemoryLedger;
  LedgerReservation(std::shared_ptr<detail::LedgerBook> book, MemoryCategory category,
                    MemoryTier tier, std::uint64_t bytes) noexcept;

  std::shared_ptr<detail::LedgerBook> book_;
  MemoryCategory category_ = MemoryCategory::workspace;
  MemoryTier tier_ = MemoryTier::device;
  std::uint64_t bytes_ = 0;
};

// One per rank, passed to whatever allocates (no global instance). All
// members are thread-safe: a communication thread may reserve buffers while
// the main thread computes.
class MemoryLedger {
 public:
  MemoryLedger();
  // One ledger per rank; a copy would silently share or split the counts.
  MemoryLedger(const MemoryLedger&) = delete;
  MemoryLedger& operator=(const MemoryLedger&) = delete;

  // Counts `bytes` against (category, tier) before the caller allocates
  // them. A device request that would take device usage above the budget
  // throws Error (subject "[memory] device_memory_limit") and counts nothing.
  // `what` names the allocation in that message, e.g. "tensor 'wte'".
  LedgerReservation reserve(MemoryCategory category, MemoryTier tier, std::uint64_t bytes,
                            std::string_view what);

  // Bytes of device memory this rank may use; 0 = unlimited. Lowering it
  // below current use is allowed: only later requests are refused.
  void set_device_budget(std::uint64_t bytes);
  std::uint64_t device_budget() const;

  MemoryUsage usage(MemoryCategory category, MemoryTier tier) const;
  MemoryUsage usage(MemoryTier tier) const;
  MemorySnapshot snapshot() const;
  nlohmann::json to_json() const { return strata::to_json(snapshot()); }

 private:
  friend class LedgerReservation;
  static LedgerReservation reserve_in(const std::shared_ptr<detail::LedgerBook>& book,
                                      MemoryCategory category, MemoryTier tier, std::uint64_t bytes,
                                      std::string_view what);

  std::shared_ptr<detail::LedgerBook> book_;
};

}  // namespace strata
