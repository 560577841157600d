// Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror, Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11) and CounterRng, which
// makes every random value a pure function of (seed, stream, logical index).
#pragma once

#include <Kokkos_Core.hpp>

#include <math.h>  // ::log/::sqrt/::cos: the spellings CUDA and HIP also offer on the device

#include <cstdint>
#include <string_view>

namespace strata {

struct PhiloxCounter {
  std::uint32_t word[4];
};
struct PhiloxKey {
  std::uint32_t word[2];
};

namespace detail {

inline constexpr std::uint32_t kPhiloxMultiplier0 = 0xD2511F53u;
inline constexpr std::uint32_t kPhiloxMultiplier1 = 0xCD9E8D57u;
// Weyl sequence bumps of the key: the golden ratio and sqrt(3) - 1, in 32 bits.
inline constexpr std::uint32_t kPhiloxWeyl0 = 0x9E3779B9u;
inline constexpr std::uint32_t kPhiloxWeyl1 = 0xBB67AE85u;

KOKKOS_INLINE_FUNCTION void multiply_high_low(std::uint32_t a, std::uint32_t b, std::uint32_t& high,
                                              std::uint32_t& low) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  high = static_cast<std::uint32_t>(product >> 32);
  low = static_cast<std::uint32_t>(product);
}

// One round: two 32x32->64 multiplies; the high halves are XORed with the
// other two words and the key, and the words are permuted.
KOKKOS_INLINE_FUNCTION PhiloxCounter philox_round(const PhiloxCounter& x, const PhiloxKey& key) {
  std::uint32_t high0, low0, high1, low1;
  multiply_high_low(kPhiloxMultiplier0, x.word[0], high0, low0);
  multiply_high_low(kPhiloxMultiplier1, x.word[2], high1, low1);
  return PhiloxCounter{
      {high1 ^ x.word[1] ^ key.word[0], low1, high0 ^ x.word[3] ^ key.word[1], low0}};
}

// 52 random bits as (k + 1/2) * 2^-52: the smallest value is 2^-53 and the
// largest 1 - 2^-53, both exact doubles, so the interval is truly open and
// log() is always finite (with 53 bits the top value would round to 1.0).
KOKKOS_INLINE_FUNCTION double open_unit_interval(std::uint32_t low, std::uint32_t high) {
  const std::uint64_t bits52 = ((static_cast<std::uint64_t>(high) << 32) | low) >> 12;
  return (static_cast<double>(bits52) + 0.5) * 2.220446049250313080847263336181640625e-16;
}

}  // namespace detail

// Ten rounds, the key bumped between consecutive rounds.
KOKKOS_INLINE_FUNCTION PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key.word[0] += detail::kPhiloxWeyl0;
      key.word[1] += detail::kPhiloxWeyl1;
    }
    counter = detail::philox_round(counter, key);
  }
  return counter;
}

// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the
// name's bytes: a stable, platform-independent stream id, so a parameter's
// random values depend on its name and not on creation order or layout.
constexpr std::uint64_t stream_id(std::string_view name) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Random values as pure functions of a logical index: no state advances, so
// a shard that fills elements [a, b) gets exactly what the full tensor holds
// there, on any rank and any device, in any order.
//
// Philox block for index i: key = (seed low, seed high);
// counter = (i low, i high, stream low, stream high). uniform(i) and normal(i)
// read the same block, so a consumer needing both should use two streams.
class CounterRng {
 public:
  KOKKOS_INLINE_FUNCTION CounterRng(std::uint64_t seed, std::uint64_t stream)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        stream_low_(static_cast<std::uint32_t>(stream)),
        stream_high_(static_cast<std::uint32_t>(stream >> 32)) {}

  KOKKOS_INLINE_FUNCTION PhiloxCounter block(std::uint64_t index) const {
    return philox4x32_10(
        PhiloxCounter{{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                       stream_low_, stream_high_}},
        key_);
  }

  // Uniform in the open interval (0, 1), from words 0 and 1 of the block.
  KOKKOS_INLINE_FUNCTION double uniform(std::uint64_t index) const {
    const PhiloxCounter bits = block(index);
    return detail::open_unit_interval(bits.word[0], bits.word[1]);
  }

  // Standard normal by Box-Muller on one block: u1 from words 0-1 (so
  // uniform(i) == u1), u2 from words 2-3; returns sqrt(-2 ln u1) cos(2 pi u2)
  // and drops the sine half so each index stands alone. u1 >= 2^-53 bounds
  // the tails at about 8.6 standard deviations.
  KOKKOS_INLINE_FUNCTION double normal(std::uint64_t index) const {
    const PhiloxCounter bits = block(index);
    const double u1 = detail::open_unit_interval(bits.word[0], bits.word[1]);
    const double u2 = detail::open_unit_interval(bits.word[2], bits.word[3]);
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return ::sqrt(-2.0 * ::log(u1)) * ::cos(kTwoPi * u2);
  }

 private:
  PhiloxKey key_;
  std::uint32_t stream_low_;
  std::uint32_t stream_high_;
};

}  // namespace strata
