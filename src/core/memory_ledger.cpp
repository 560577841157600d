// The ledger's counters, the device-budget check, and its reports (JSON and
// the summary table).
#include "core/memory_ledger.hpp"

#include <cstdio>
#include <mutex>
#include <utility>

#include "core/error.hpp"

namespace strata {

namespace detail {

struct LedgerBook {
  mutable std::mutex mutex;
  MemorySnapshot counts;

  void add(MemoryCategory category, MemoryTier tier, std::uint64_t bytes) {
    auto& cell =
        counts.by_category[static_cast<std::size_t>(category)][static_cast<std::size_t>(tier)];
    auto& total = counts.by_tier[static_cast<std::size_t>(tier)];
    cell.current += bytes;
    total.current += bytes;
    if (cell.current > cell.peak) cell.peak = cell.current;
    if (total.current > total.peak) total.peak = total.current;
  }

  void remove(MemoryCategory category, MemoryTier tier, std::uint64_t bytes) noexcept {
    std::lock_guard<std::mutex> lock(mutex);
    counts.by_category[static_cast<std::size_t>(category)][static_cast<std::size_t>(tier)]
        .current -= bytes;
    counts.by_tier[static_cast<std::size_t>(tier)].current -= bytes;
  }
};

}  // namespace detail

namespace {

std::string device_breakdown(const MemorySnapshot& counts) {
  std::string text;
  for (MemoryCategory category : kAllMemoryCategories) {
    const std::uint64_t bytes = counts.at(category, MemoryTier::device).current;
    if (bytes == 0) continue;
    if (!text.empty()) text += ", ";
    text += std::string(name(category)) + " " + format_bytes(bytes);
  }
  return text.empty() ? "nothing" : text;
}

}  // namespace

std::string_view name(MemoryCategory category) noexcept {
  switch (category) {
    case MemoryCategory::param: return "param";
    case MemoryCategory::grad: return "grad";
    case MemoryCategory::optimizer: return "optimizer";
    case MemoryCategory::activation: return "activation";
    case MemoryCategory::comm_buffer: return "comm_buffer";
    case MemoryCategory::workspace: return "workspace";
  }
  return "unknown";
}

std::string_view name(MemoryTier tier) noexcept {
  switch (tier) {
    case MemoryTier::device: return "device";
    case MemoryTier::host: return "host";
    case MemoryTier::nvme: return "nvme";
  }
  return "unknown";
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  // Switch units before printf would round 1023.999 up to "1024.00".
  while (value >= 1023.995 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %s", value, kUnits[unit]);
  return text;
}

LedgerReservation::LedgerReservation(std::shared_ptr<detail::LedgerBook> book,
                                     MemoryCategory category, MemoryTier tier,
                                     std::uint64_t bytes) noexcept
    : book_(std::move(book)), category_(category), tier_(tier), bytes_(bytes) {}

LedgerReservation::LedgerReservation(LedgerReservation&& other) noexcept
    : book_(std::move(other.book_)),
      category_(other.category_),
      tier_(other.tier_),
      bytes_(std::exchange(other.bytes_, 0)) {}

LedgerReservation& LedgerReservation::operator=(LedgerReservation&& other) noexcept {
  if (this != &other) {
    release();
    book_ = std::move(other.book_);
    category_ = other.category_;
    tier_ = other.tier_;
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

LedgerReservation::~LedgerReservation() { release(); }

void LedgerReservation::release() noexcept {
  if (!book_) return;
  book_->remove(category_, tier_, bytes_);
  book_.reset();
  bytes_ = 0;
}

MemoryLedger::MemoryLedger() : book_(std::make_shared<detail::LedgerBook>()) {}

LedgerReservation MemoryLedger::reserve(MemoryCategory category, MemoryTier tier,
                                        std::uint64_t bytes, std::string_view what) {
  return reserve_in(book_, category, tier, bytes, what);
}

LedgerReservation LedgerReservation::reserve_in_same_ledger(MemoryCategory category,
                                                            MemoryTier tier, std::uint64_t bytes,
                                                            std::string_view what) const {
  if (!book_)
    throw Error("reserve_in_same_ledger called on an empty reservation", "MemoryLedger",
                "this is a bug in Strata; please report it", ErrorScope::this_rank);
  return MemoryLedger::reserve_in(book_, category, tier, bytes, what);
}

LedgerReservation MemoryLedger::reserve_in(const std::shared_ptr<detail::LedgerBook>& book,
                                           MemoryCategory category, MemoryTier tier,
                                           std::uint64_t bytes, std::string_view what) {
  std::lock_guard<std::mutex> lock(book->mutex);
  const MemorySnapshot& counts = book->counts;
  const std::uint64_t in_use = counts.at(MemoryTier::device).current;
  const std::uint64_t budget = counts.device_budget;
  if (tier == MemoryTier::device && budget != 0 && (bytes > budget || in_use > budget - bytes)) {
    // Scope this_rank: ranks allocate different amounts (pipeline stages,
    // uneven shards), so this rank may be the only one that fails. An
    // all-ranks error is printed by rank 0 alone and lets the failing rank
    // exit while the others wait in a collective; a this-rank error prints
    // this message, tagged with the rank, and aborts the whole job. Callers
    // that know every rank reaches the same allocation before any
    // collective may wrap it in agree_on_success to get one clean message.
    throw Error("cannot allocate " + format_bytes(bytes) + " of device memory for " +
                    std::string(name(category)) + " (" + std::string(what) +
                    "): " + format_bytes(in_use) + " already in use (" + device_breakdown(counts) +
                    ") and the budget is " + format_bytes(budget),
                "[memory] device_memory_limit",
                "raise [memory] device_memory_limit, or lower memory use with a higher "
                "[zero] stage or [offload] optimizer=cpu",
                ErrorScope::this_rank);
  }
  book->add(category, tier, bytes);
  return LedgerReservation(book, category, tier, bytes);
}

void MemoryLedger::set_device_budget(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(book_->mutex);
  book_->counts.device_budget = bytes;
}

std::uint64_t MemoryLedger::device_budget() const {
  std::lock_guard<std::mutex> lock(book_->mutex);
  return book_->counts.device_budget;
}

MemoryUsage MemoryLedger::usage(MemoryCategory category, MemoryTier tier) const {
  std::lock_guard<std::mutex> lock(book_->mutex);
  return book_->counts.at(category, tier);
}

MemoryUsage MemoryLedger::usage(MemoryTier tier) const {
  std::lock_guard<std::mutex> lock(book_->mutex);
  return book_->counts.at(tier);
}

MemorySnapshot MemoryLedger::snapshot() const {
  std::lock_guard<std::mutex> lock(book_->mutex);
  return book_->counts;
}

nlohmann::json to_json(const MemorySnapshot& snapshot) {
  nlohmann::json tiers = nlohmann::json::object();
  for (MemoryTier tier : kAllMemoryTiers) {
    nlohmann::json categories = nlohmann::json::object();
    for (MemoryCategory category : kAllMemoryCategories) {
      const MemoryUsage& usage = snapshot.at(category, tier);
      categories[std::string(name(category))] = {{"current", usage.current}, {"peak", usage.peak}};
    }
    tiers[std::string(name(tier))] = {{"current", snapshot.at(tier).current},
                                      {"peak", snapshot.at(tier).peak},
                                      {"categories", std::move(categories)}};
  }
  return {{"device_budget", snapshot.device_budget}, {"tiers", std::move(tiers)}};
}

std::string format_memory_table(const MemorySnapshot& snapshot) {
  auto row = [](std::string_view label, const std::array<MemoryUsage, kMemoryTierCount>& cells) {
    char line[256];
    int length =
        std::snprintf(line, sizeof line, "%-12.*s", static_cast<int>(label.size()), label.data());
    for (const MemoryUsage& cell : cells)
      length += std::snprintf(line + length, sizeof line - length, " %12s %12s",
                              format_bytes(cell.current).c_str(), format_bytes(cell.peak).c_str());
    return std::string(line) + "\n";
  };
  char header[256];
  std::snprintf(header, sizeof header, "%-12s %12s %12s %12s %12s %12s %12s\n", "memory",
                "device now", "device peak", "host now", "host peak", "nvme now", "nvme peak");
  std::string table = header;
  for (MemoryCategory category : kAllMemoryCategories)
    table += row(name(category), snapshot.by_category[static_cast<std::size_t>(category)]);
  table += row("total", snapshot.by_tier);
  table += "device budget: " +
           (snapshot.device_budget == 0 ? std::string("unlimited")
                                        : format_bytes(snapshot.device_budget)) +
           "\n";
  return table;
}

}  // namespace strata
