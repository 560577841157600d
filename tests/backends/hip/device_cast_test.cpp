// The HIP backend's conversion kernels and pinned memory. Without a visible
// AMD GPU (CI, this project's CPU machines) both refuse with an Error naming
// what needed the GPU and the binding fix. With one, narrowing 2.5 million
// fp32 bit patterns (every rounding tie, subnormals, overflow, NaN
// payloads) and widening every 16-bit pattern give exactly the bits of
// dtype_bits.hpp's scalar conversions on the host, and a pinned round trip
// through device memory is exact.
#include <gtest/gtest.h>
#include <hip/hip_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../../support/error_text.hpp"
#include "backends/hip/device_cast.hpp"
#include "backends/hip/hip_check.hpp"
#include "backends/hip/pinned_memory.hpp"
#include "core/dtype_bits.hpp"

namespace strata::backends::hip {
namespace {

// fp32 inputs for narrowing: every upper half with every multiple of 0x1000
// as lower half (so every tie of bf16, and of fp16 in all binades and
// subnormals) and the patterns beside the ties, plus a stride through all
// 2^32 patterns.
std::vector<float> narrowing_inputs() {
  std::vector<std::uint32_t> bits;
  for (std::uint32_t high = 0; high < 0x10000u; ++high) {
    for (std::uint32_t low = 0; low < 0x10000u; low += 0x1000u) bits.push_back(high << 16 | low);
    for (std::uint32_t low : {0x0001u, 0x0fffu, 0x1001u, 0x7fffu, 0x8001u, 0xffffu})
      bits.push_back(high << 16 | low);
  }
  for (std::uint64_t b = 0; b < (1ull << 32); b += 4099)
    bits.push_back(static_cast<std::uint32_t>(b));
  std::vector<float> values(bits.size());
  std::memcpy(values.data(), bits.data(), bits.size() * sizeof(float));
  return values;
}

template <class T>
T* device_copy_of(const std::vector<T>& host) {
  T* device = nullptr;
  check_hip(hipMalloc(reinterpret_cast<void**>(&device), host.size() * sizeof(T)), "hipMalloc");
  check_hip(hipMemcpy(device, host.data(), host.size() * sizeof(T), hipMemcpyHostToDevice),
            "hipMemcpy");
  return device;
}

template <class T>
std::vector<T> host_copy_of(const T* device, std::size_t n) {
  std::vector<T> host(n);
  check_hip(hipMemcpy(host.data(), device, n * sizeof(T), hipMemcpyDeviceToHost), "hipMemcpy");
  return host;
}

void expect_narrowed_like_the_host(const std::vector<float>& in, const float* device_in,
                                   DType dtype, hipStream_t stream) {
  std::uint16_t* out = nullptr;
  check_hip(hipMalloc(reinterpret_cast<void**>(&out), in.size() * 2), "hipMalloc");
  device_cast::narrow(device_in, dtype, out, static_cast<std::int64_t>(in.size()), stream);
  check_hip(hipStreamSynchronize(stream), "hipStreamSynchronize");
  const auto got = host_copy_of(out, in.size());
  (void)hipFree(out);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::uint16_t want = dtype == DType::bf16 ? to_bf16(in[i]).bits : to_fp16(in[i]).bits;
    ASSERT_EQ(got[i], want) << (dtype == DType::bf16 ? "bf16" : "fp16") << " of fp32 bits 0x"
                            << std::hex << detail::bits_of(in[i]);
  }
}

void expect_widened_like_the_host(DType dtype, hipStream_t stream) {
  std::vector<std::uint16_t> every(0x10000);
  for (std::uint32_t b = 0; b < 0x10000u; ++b) every[b] = static_cast<std::uint16_t>(b);
  std::uint16_t* in = device_copy_of(every);
  float* out = nullptr;
  check_hip(hipMalloc(reinterpret_cast<void**>(&out), every.size() * sizeof(float)), "hipMalloc");
  device_cast::widen(in, dtype, out, static_cast<std::int64_t>(every.size()), stream);
  check_hip(hipStreamSynchronize(stream), "hipStreamSynchronize");
  const auto got = host_copy_of(out, every.size());
  (void)hipFree(in);
  (void)hipFree(out);
  for (std::uint32_t b = 0; b < 0x10000u; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float want = dtype == DType::bf16 ? to_float(bf16_t{bits}) : to_float(fp16_t{bits});
    ASSERT_EQ(detail::bits_of(got[b]), detail::bits_of(want)) << "widening 0x" << std::hex << b;
  }
}

TEST(HipBackend, ConversionsMatchTheScalarOnesBitForBitOrAClearRefusal) {
  if (visible_hip_devices() == 0) {
    const std::pair<const char*, std::function<void()>> refusals[] = {
        {"HIP dtype conversions",
         [] { device_cast::narrow(nullptr, DType::bf16, nullptr, 16, nullptr); }},
        {"HIP dtype conversions",
         [] { device_cast::widen(nullptr, DType::fp16, nullptr, 16, nullptr); }},
        {"pinned host memory", [] { PinnedHostBuffer buffer(1024); }}};
    for (const auto& [user, make] : refusals) {
      const std::string text = strata::testing::error_text(make);
      for (const char* wanted :
           {user, "needs an AMD GPU", "ROCR_VISIBLE_DEVICES", "scripts/gpu-bind.sh"})
        EXPECT_NE(text.find(wanted), std::string::npos) << text;
    }
    return;
  }
  hipStream_t stream = nullptr;
  check_hip(hipStreamCreate(&stream), "hipStreamCreate");
  const std::vector<float> in = narrowing_inputs();
  float* device_in = device_copy_of(in);
  expect_narrowed_like_the_host(in, device_in, DType::bf16, stream);
  expect_narrowed_like_the_host(in, device_in, DType::fp16, stream);
  float* copied = nullptr;  // fp32 to fp32 is a copy
  check_hip(hipMalloc(reinterpret_cast<void**>(&copied), in.size() * sizeof(float)), "hipMalloc");
  device_cast::narrow(device_in, DType::fp32, copied, static_cast<std::int64_t>(in.size()), stream);
  check_hip(hipStreamSynchronize(stream), "hipStreamSynchronize");
  EXPECT_EQ(std::memcmp(host_copy_of(copied, in.size()).data(), in.data(), in.size() * 4), 0);
  (void)hipFree(copied);
  (void)hipFree(device_in);
  expect_widened_like_the_host(DType::bf16, stream);
  expect_widened_like_the_host(DType::fp16, stream);

  PinnedHostBuffer pinned(4096), back(4096);
  std::memset(pinned.data(), 0x5a, 4096);
  std::memset(back.data(), 0, 4096);
  void* device = nullptr;
  check_hip(hipMalloc(&device, 4096), "hipMalloc");
  copy_async(device, pinned.data(), 4096, stream);
  copy_async(back.data(), device, 4096, stream);
  check_hip(hipStreamSynchronize(stream), "hipStreamSynchronize");
  EXPECT_EQ(std::memcmp(back.data(), pinned.data(), 4096), 0);
  (void)hipFree(device);
  (void)hipStreamDestroy(stream);
}

}  // namespace
}  // namespace strata::backends::hip
