// Shared by the tests of the pointwise/row kernels: host <-> device views,
// seeded random data, and the tolerance check every comparison uses.
#pragma once

#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/views.hpp"

namespace strata::testing {

using kernels::MatrixF;
using kernels::VectorF;

inline std::vector<float> random_floats(std::size_t count, unsigned seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(count);
  for (auto& v : values) v = dist(gen);
  return values;
}

inline std::vector<std::int32_t> random_ints(std::size_t count, unsigned seed, int lo, int hi) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<std::int32_t> values(count);
  for (auto& v : values) v = dist(gen);
  return values;
}

// Device views filled from host data (kernels only ever see device views).
template <class T>
kernels::Vector<T> device_vector(const std::vector<T>& host, const std::string& name = "v") {
  kernels::Vector<T> view(name, host.size());
  auto mirror = Kokkos::create_mirror_view(view);
  for (std::size_t i = 0; i < host.size(); ++i) mirror(i) = host[i];
  Kokkos::deep_copy(view, mirror);
  return view;
}

inline MatrixF device_matrix(const std::vector<float>& host, std::size_t rows, std::size_t cols,
                             const std::string& name = "m") {
  EXPECT_EQ(host.size(), rows * cols);
  MatrixF view(name, rows, cols);
  auto mirror = Kokkos::create_mirror_view(view);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) mirror(r, c) = host[r * cols + c];
  Kokkos::deep_copy(view, mirror);
  return view;
}

template <class T>
std::vector<T> to_host(const kernels::Vector<T>& view) {
  auto mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), view);
  return std::vector<T>(mirror.data(), mirror.data() + mirror.size());
}

inline std::vector<float> to_host(const MatrixF& view) {
  auto mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), view);
  std::vector<float> out(view.extent(0) * view.extent(1));
  for (std::size_t r = 0; r < view.extent(0); ++r)
    for (std::size_t c = 0; c < view.extent(1); ++c) out[r * view.extent(1) + c] = mirror(r, c);
  return out;
}

// |got - want| <= atol + rtol·|want| for every element, reporting the first
// few offenders with their index so a failure says where.
inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<double>& want, double atol,
                                            double rtol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << want.size();
  int shown = 0;
  std::size_t bad = 0;
  ::testing::AssertionResult result = ::testing::AssertionFailure();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= atol + rtol * std::abs(want[i]))) {
      ++bad;
      if (shown++ < 5)
        result << "[" << i << "] got " << got[i] << " want " << want[i] << " (err " << err << ")\n";
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return result << bad << " of " << got.size() << " elements outside atol " << atol << " rtol "
                << rtol;
}

inline std::vector<double> widen(const std::vector<float>& values) {
  return std::vector<double>(values.begin(), values.end());
}

// Central difference of a scalar objective in one fp32 input: the step is
// the one actually taken after rounding x ± h to fp32, so the quotient
// divides by the true distance between the two evaluation points.
template <class Objective>
double central_difference(std::vector<float>& x, std::size_t i, float h, Objective objective) {
  const float saved = x[i];
  const float plus = saved + h, minus = saved - h;
  x[i] = plus;
  const double f_plus = objective();
  x[i] = minus;
  const double f_minus = objective();
  x[i] = saved;
  return (f_plus - f_minus) / (static_cast<double>(plus) - static_cast<double>(minus));
}

}  // namespace strata::testing
