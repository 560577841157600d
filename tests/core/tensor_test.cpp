// Tensor: shape and size, typed access, fp32 conversions, and that every
// allocation appears in the ledger for exactly as long as it lives.
#include "core/tensor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "core/error.hpp"

namespace strata {
namespace {

// A free function: CUDA forbids device lambdas inside gtest's private TestBody.
void fill_halves(DeviceSpan<bf16_t> span) {
  Kokkos::parallel_for(
      "fill_halves", Kokkos::RangePolicy<Kokkos::DefaultExecutionSpace>(0, span.extent(0)),
      KOKKOS_LAMBDA(std::size_t i) { span(i) = to_bf16(static_cast<float>(i) * 0.5f); });
  Kokkos::fence();
}

TEST(Tensor, ShapeSizeAndZeroFill) {
  MemoryLedger ledger;
  Tensor t(ledger, "h.0.mlp.w", DType::bf16, {3, 5, 2}, MemoryCategory::param);
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.name(), "h.0.mlp.w");
  EXPECT_EQ(t.numel(), 30);
  EXPECT_EQ(t.bytes(), 60u);
  EXPECT_EQ(t.shape(), (Shape{3, 5, 2}));
  EXPECT_EQ(to_string(t.shape()), "[3, 5, 2]");
  for (float v : t.to_fp32()) EXPECT_EQ(v, 0.0f);
  Tensor scalar(ledger, "scale", DType::fp32, {}, MemoryCategory::workspace);
  EXPECT_EQ(scalar.numel(), 1);
  Tensor empty(ledger, "none", DType::fp16, {4, 0}, MemoryCategory::workspace);
  EXPECT_EQ(empty.bytes(), 0u);
  EXPECT_TRUE(empty.to_fp32().empty());
  EXPECT_FALSE(Tensor().defined());
}

TEST(Tensor, AllocationsAppearInTheLedgerUntilTheLastCopyGoes) {
  MemoryLedger ledger;
  {
    Tensor w(ledger, "w", DType::fp32, {256, 4}, MemoryCategory::param);
    Tensor h(ledger, "h", DType::fp16, {10}, MemoryCategory::optimizer, MemoryTier::host);
    EXPECT_EQ(ledger.usage(MemoryCategory::param, MemoryTier::device).current, 4096u);
    EXPECT_EQ(ledger.usage(MemoryCategory::optimizer, MemoryTier::host).current, 20u);
    Tensor copy = w;  // shallow: shares storage, no new bytes
    EXPECT_EQ(w.use_count(), 2);
    EXPECT_EQ(copy.data<float>(), w.data<float>());
    EXPECT_EQ(ledger.usage(MemoryTier::device).current, 4096u);
    w = Tensor();
    EXPECT_EQ(ledger.usage(MemoryTier::device).current, 4096u);  // copy still holds it
    Tensor moved = std::move(copy);
    copy = Tensor();
    EXPECT_EQ(ledger.usage(MemoryTier::device).current, 4096u);
    moved = Tensor();
    EXPECT_EQ(ledger.usage(MemoryTier::device).current, 0u);
    EXPECT_EQ(ledger.usage(MemoryTier::host).current, 20u);
  }
  EXPECT_EQ(ledger.usage(MemoryTier::host).current, 0u);
  EXPECT_EQ(ledger.usage(MemoryTier::device).peak, 4096u);
}

TEST(Tensor, OverBudgetThrowsBeforeAllocatingAndLeavesNoTrace) {
  MemoryLedger ledger;
  ledger.set_device_budget(1000);
  Tensor fits(ledger, "fits", DType::fp32, {200}, MemoryCategory::param);
  try {
    // ~1 EiB: only a check before allocating can fail this cleanly.
    Tensor huge(ledger, "huge", DType::fp32, {1ll << 58}, MemoryCategory::activation);
    FAIL() << "over-budget tensor was created";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "[memory] device_memory_limit");
    EXPECT_NE(error.problem().find("activation"), std::string::npos);
    EXPECT_NE(error.problem().find("'huge'"), std::string::npos);
  }
  EXPECT_EQ(ledger.usage(MemoryTier::device).current, 800u);
  EXPECT_EQ(ledger.usage(MemoryTier::device).peak, 800u);
  // The host tier is not under the device budget.
  Tensor host(ledger, "host", DType::fp32, {1000}, MemoryCategory::optimizer, MemoryTier::host);
  EXPECT_EQ(ledger.usage(MemoryTier::host).current, 4000u);
}

TEST(Tensor, TypedAccessAndFp32RoundTrip) {
  MemoryLedger ledger;
  const std::vector<float> values = {1.0f, -2.5f, 65504.0f, 1e-8f, 0.1f, 70000.0f};
  Tensor f32(ledger, "f32", DType::fp32, {2, 3}, MemoryCategory::param);
  f32.copy_from_fp32(values);
  EXPECT_EQ(f32.to_fp32(), values);
  EXPECT_EQ(f32.host_span<float>()(4), 0.1f);

  Tensor f16(ledger, "f16", DType::fp16, {2, 3}, MemoryCategory::param);
  f16.copy_from_fp32(values);
  const std::vector<float> narrowed = f16.to_fp32();
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(narrowed[i], to_float(to_fp16(values[i]))) << i;
  EXPECT_TRUE(std::isinf(narrowed[5]));           // 70000 overflows fp16
  EXPECT_EQ(f16.data<fp16_t>()[0].bits, 0x3c00);  // 1.0 in fp16
  EXPECT_EQ(f16.host_span<fp16_t>().extent(0), 6u);

  Tensor b16(ledger, "b16", DType::bf16, {6}, MemoryCategory::param);
  b16.copy_from_fp32(values);
  EXPECT_EQ(b16.data<bf16_t>()[1].bits, 0xc020);  // -2.5 in bf16
  EXPECT_EQ(b16.to_fp32()[4], to_float(to_bf16(0.1f)));
  EXPECT_NE(b16.to_fp32()[4], 0.1f);  // rounding really happened

  // Writes through the device span are seen by to_fp32.
  fill_halves(b16.device_span<bf16_t>());
  EXPECT_EQ(b16.to_fp32(), (std::vector<float>{0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f}));

  Tensor wide = f16.to_fp32_tensor(ledger);
  EXPECT_EQ(wide.dtype(), DType::fp32);
  EXPECT_EQ(wide.name(), "f16.fp32");
  EXPECT_EQ(wide.shape(), f16.shape());
  EXPECT_EQ(wide.to_fp32(), narrowed);
  EXPECT_EQ(ledger.usage(MemoryCategory::param, MemoryTier::device).current, 24u + 12u + 12u + 24u);
}

TEST(Tensor, CopyFromFp32RejectsAWrongCount) {
  MemoryLedger ledger;
  Tensor t(ledger, "t", DType::fp32, {4}, MemoryCategory::param);
  EXPECT_THROW(t.copy_from_fp32(std::vector<float>(5, 1.0f)), Error);
}

TEST(Tensor, NvmeIsNotAddressableMemory) {
  MemoryLedger ledger;
  EXPECT_THROW(
      Tensor(ledger, "swap", DType::fp32, {4}, MemoryCategory::optimizer, MemoryTier::nvme), Error);
  EXPECT_EQ(ledger.usage(MemoryTier::nvme).peak, 0u);
}

#if defined(STRATA_CONTRACTS)
TEST(Tensor, ContractsCatchAWrongElementType) {
  MemoryLedger ledger;
  Tensor t(ledger, "t", DType::bf16, {4}, MemoryCategory::param);
  EXPECT_THROW(t.data<float>(), Error);
  EXPECT_THROW(t.data<fp16_t>(), Error);
  EXPECT_NO_THROW(t.data<bf16_t>());
  Tensor host(ledger, "h", DType::fp32, {4}, MemoryCategory::param, MemoryTier::host);
  EXPECT_THROW(host.device_span<float>(), Error);
}
#endif

}  // namespace
}  // namespace strata
