// MemoryLedger: exact current/peak accounting, RAII release, the device
// budget and its message, the reports.
#include "core/memory_ledger.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace strata {
namespace {

constexpr auto kDevice = MemoryTier::device;
constexpr auto kHost = MemoryTier::host;

TEST(FormatBytes, UsesBinaryUnitsWithTwoDecimals) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(1536 * 1024), "1.50 MiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.00 GiB");
  EXPECT_EQ(format_bytes((1ull << 20) - 1), "1.00 MiB");  // not "1024.00 KiB"
  EXPECT_EQ(format_bytes(~0ull), "16.00 EiB");
}

TEST(MemoryLedger, TracksCurrentAndPeakThroughReserveAndRelease) {
  MemoryLedger ledger;
  {
    LedgerReservation a = ledger.reserve(MemoryCategory::param, kDevice, 100, "a");
    LedgerReservation b = ledger.reserve(MemoryCategory::param, kDevice, 50, "b");
    LedgerReservation g = ledger.reserve(MemoryCategory::grad, kDevice, 30, "g");
    LedgerReservation h = ledger.reserve(MemoryCategory::param, kHost, 7, "h");
    EXPECT_EQ(ledger.usage(MemoryCategory::param, kDevice).current, 150u);
    EXPECT_EQ(ledger.usage(kDevice).current, 180u);
    EXPECT_EQ(ledger.usage(kHost).current, 7u);
    a.release();
    a.release();  // idempotent
    EXPECT_EQ(ledger.usage(MemoryCategory::param, kDevice).current, 50u);
    EXPECT_EQ(ledger.usage(MemoryCategory::param, kDevice).peak, 150u);
    LedgerReservation c = ledger.reserve(MemoryCategory::param, kDevice, 60, "c");
    EXPECT_EQ(ledger.usage(MemoryCategory::param, kDevice).current, 110u);
    EXPECT_EQ(ledger.usage(MemoryCategory::param, kDevice).peak, 150u);
    g.release();
    LedgerReservation o = ledger.reserve(MemoryCategory::optimizer, kDevice, 45, "o");
    // Tier peak is the peak of the sum (180 then 155), not 150 + 30 + 45.
    EXPECT_EQ(ledger.usage(kDevice).current, 155u);
    EXPECT_EQ(ledger.usage(kDevice).peak, 180u);
    LedgerReservation o2 = ledger.reserve(MemoryCategory::optimizer, kDevice, 30, "o2");
    EXPECT_EQ(ledger.usage(kDevice).peak, 185u);
  }
  for (MemoryTier tier : kAllMemoryTiers) {
    EXPECT_EQ(ledger.usage(tier).current, 0u);
    for (MemoryCategory category : kAllMemoryCategories)
      EXPECT_EQ(ledger.usage(category, tier).current, 0u);
  }
  EXPECT_EQ(ledger.usage(MemoryCategory::optimizer, kDevice).peak, 75u);
  EXPECT_EQ(ledger.usage(MemoryCategory::grad, kDevice).peak, 30u);
  EXPECT_EQ(ledger.usage(kHost).peak, 7u);
  EXPECT_EQ(ledger.usage(MemoryTier::nvme).peak, 0u);
}

TEST(MemoryLedger, ReservationsMoveWithoutDoubleCounting) {
  MemoryLedger ledger;
  LedgerReservation outer;
  EXPECT_FALSE(outer.active());
  {
    LedgerReservation inner = ledger.reserve(MemoryCategory::workspace, kDevice, 64, "w");
    outer = std::move(inner);
    EXPECT_FALSE(inner.active());
    EXPECT_EQ(outer.bytes(), 64u);
  }
  EXPECT_EQ(ledger.usage(kDevice).current, 64u);
  LedgerReservation moved(std::move(outer));
  EXPECT_EQ(ledger.usage(kDevice).current, 64u);
  // Move-assigning over a live reservation releases what it held.
  moved = ledger.reserve(MemoryCategory::workspace, kDevice, 10, "w2");
  EXPECT_EQ(ledger.usage(kDevice).current, 10u);
  std::vector<LedgerReservation> many;
  for (int i = 0; i < 100; ++i)
    many.push_back(ledger.reserve(MemoryCategory::activation, kHost, 3, "x"));
  EXPECT_EQ(ledger.usage(kHost).current, 300u);
  many.clear();
  EXPECT_EQ(ledger.usage(kHost).current, 0u);
}

TEST(MemoryLedger, ReservationsMayOutliveTheLedgerObject) {
  LedgerReservation survivor;
  {
    MemoryLedger ledger;
    survivor = ledger.reserve(MemoryCategory::param, kDevice, 8, "p");
  }
  survivor.release();  // must not touch freed memory (ASan builds check it)
  EXPECT_FALSE(survivor.active());
}

TEST(MemoryLedger, DeviceBudgetRefusesWithAnActionableMessage) {
  MemoryLedger ledger;
  ledger.set_device_budget(4ull << 20);
  auto params = ledger.reserve(MemoryCategory::param, kDevice, 2ull << 20, "params");
  auto grads = ledger.reserve(MemoryCategory::grad, kDevice, 1ull << 20, "grads");
  try {
    ledger.reserve(MemoryCategory::optimizer, kDevice, 1536ull << 10, "tensor 'exp_avg'");
    FAIL() << "over-budget request was granted";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "[memory] device_memory_limit");
    const std::string& problem = error.problem();
    EXPECT_NE(problem.find("optimizer"), std::string::npos) << problem;
    EXPECT_NE(problem.find("exp_avg"), std::string::npos) << problem;
    EXPECT_NE(problem.find("1.50 MiB"), std::string::npos) << problem;  // request
    EXPECT_NE(problem.find("3.00 MiB"), std::string::npos) << problem;  // in use
    EXPECT_NE(problem.find("param 2.00 MiB"), std::string::npos) << problem;
    EXPECT_NE(problem.find("grad 1.00 MiB"), std::string::npos) << problem;
    EXPECT_NE(problem.find("4.00 MiB"), std::string::npos) << problem;  // budget
    EXPECT_NE(error.fix().find("device_memory_limit"), std::string::npos);
    EXPECT_NE(error.fix().find("[zero] stage"), std::string::npos);
  }
  // A refused request counts nothing; exactly filling the budget is fine.
  EXPECT_EQ(ledger.usage(kDevice).current, 3ull << 20);
  auto rest = ledger.reserve(MemoryCategory::optimizer, kDevice, 1ull << 20, "rest");
  EXPECT_EQ(ledger.usage(kDevice).current, 4ull << 20);
  EXPECT_THROW(ledger.reserve(MemoryCategory::workspace, kDevice, 1, "one byte"), Error);
  // A request larger than the whole budget must not wrap around.
  grads.release();
  EXPECT_THROW(ledger.reserve(MemoryCategory::workspace, kDevice, ~0ull, "huge"), Error);
}

TEST(MemoryLedger, BudgetCountsOnlyTheDeviceTier) {
  MemoryLedger ledger;
  ledger.set_device_budget(1000);
  auto host = ledger.reserve(MemoryCategory::optimizer, kHost, 1ull << 40, "offloaded");
  auto nvme = ledger.reserve(MemoryCategory::optimizer, MemoryTier::nvme, 1ull << 41, "swap");
  auto device = ledger.reserve(MemoryCategory::param, kDevice, 1000, "fits");
  EXPECT_THROW(ledger.reserve(MemoryCategory::param, kDevice, 1, "over"), Error);
  ledger.set_device_budget(0);  // unlimited
  auto more = ledger.reserve(MemoryCategory::param, kDevice, 1ull << 40, "unlimited");
  EXPECT_EQ(ledger.usage(kDevice).current, 1000u + (1ull << 40));
}

TEST(MemoryLedger, ConcurrentReservationsBalance) {
  MemoryLedger ledger;
  auto worker = [&ledger](MemoryCategory category) {
    for (int i = 0; i < 20000; ++i) {
      auto r = ledger.reserve(category, kDevice, 16, "x");
      (void)r;
    }
  };
  std::thread comm(worker, MemoryCategory::comm_buffer);
  worker(MemoryCategory::activation);
  comm.join();
  EXPECT_EQ(ledger.usage(kDevice).current, 0u);
  EXPECT_LE(ledger.usage(kDevice).peak, 32u);
  EXPECT_EQ(ledger.usage(MemoryCategory::comm_buffer, kDevice).peak, 16u);
}

TEST(MemoryLedger, JsonAndTableReportEveryCell) {
  MemoryLedger ledger;
  ledger.set_device_budget(1ull << 30);
  auto p = ledger.reserve(MemoryCategory::param, kDevice, 3ull << 20, "p");
  { auto w = ledger.reserve(MemoryCategory::workspace, kDevice, 1ull << 20, "w"); }
  auto o = ledger.reserve(MemoryCategory::optimizer, kHost, 5ull << 20, "o");
  const nlohmann::json json = ledger.to_json();
  EXPECT_EQ(json.at("device_budget").get<std::uint64_t>(), 1ull << 30);
  const auto& device = json.at("tiers").at("device");
  EXPECT_EQ(device.at("current").get<std::uint64_t>(), 3ull << 20);
  EXPECT_EQ(device.at("peak").get<std::uint64_t>(), 4ull << 20);
  EXPECT_EQ(device.at("categories").at("workspace").at("peak").get<std::uint64_t>(), 1ull << 20);
  EXPECT_EQ(device.at("categories").at("workspace").at("current").get<std::uint64_t>(), 0u);
  EXPECT_EQ(json.at("tiers")
                .at("host")
                .at("categories")
                .at("optimizer")
                .at("current")
                .get<std::uint64_t>(),
            5ull << 20);
  EXPECT_EQ(device.at("categories").size(), kMemoryCategoryCount);
  EXPECT_TRUE(json.at("tiers").contains("nvme"));

  const std::string table = format_memory_table(ledger.snapshot());
  for (MemoryCategory category : kAllMemoryCategories)
    EXPECT_NE(table.find(std::string(name(category))), std::string::npos) << table;
  EXPECT_NE(table.find("3.00 MiB"), std::string::npos) << table;
  EXPECT_NE(table.find("5.00 MiB"), std::string::npos) << table;
  EXPECT_NE(table.find("total"), std::string::npos) << table;
  EXPECT_NE(table.find("device budget: 1.00 GiB"), std::string::npos) << table;
}

}  // namespace
}  // namespace strata
