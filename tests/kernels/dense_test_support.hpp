// Shared by the gemm, matmul and attention tests: seeded data in device
// views, host copies in double, and the normwise error every check uses.
#pragma once

#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/views.hpp"

namespace strata::testing::dense {

using kernels::MatrixF;
using kernels::VectorF;

// Row-major host matrix in double: what the references compute in.
struct HostMatrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> v;
  HostMatrix() = default;
  HostMatrix(std::size_t r, std::size_t c) : rows(r), cols(c), v(r * c, 0.0) {}
  double& operator()(std::size_t i, std::size_t j) { return v[i * cols + j]; }
  double operator()(std::size_t i, std::size_t j) const { return v[i * cols + j]; }
};

inline MatrixF random_matrix(std::size_t rows, std::size_t cols, unsigned seed, float lo = -1.0f,
                             float hi = 1.0f) {
  MatrixF m("m", rows, cols);
  auto host = Kokkos::create_mirror_view(m);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) host(i, j) = dist(gen);
  Kokkos::deep_copy(m, host);
  return m;
}

inline VectorF random_vector(std::size_t n, unsigned seed) {
  VectorF v("v", n);
  auto host = Kokkos::create_mirror_view(v);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::size_t i = 0; i < n; ++i) host(i) = dist(gen);
  Kokkos::deep_copy(v, host);
  return v;
}

template <class View>
HostMatrix to_host(const View& m) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), m);
  HostMatrix out(m.extent(0), m.extent(1));
  for (std::size_t i = 0; i < out.rows; ++i)
    for (std::size_t j = 0; j < out.cols; ++j) out(i, j) = host(i, j);
  return out;
}

inline std::vector<double> to_host_vector(const VectorF& v) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(host.data(), host.data() + host.extent(0));
}

inline MatrixF copy_of(const MatrixF& m) {
  MatrixF c("copy", m.extent(0), m.extent(1));
  Kokkos::deep_copy(c, m);
  return c;
}

// max |got − want| / max |want|: a normwise relative error, which stays
// meaningful where single entries of the reference are close to zero.
inline double normwise_error(const std::vector<double>& got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    diff = std::max(diff, std::abs(got[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return scale > 0.0 ? diff / scale : diff;
}
inline double normwise_error(const HostMatrix& got, const HostMatrix& want) {
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.cols, want.cols);
  return normwise_error(got.v, want.v);
}

// C = op(A)·op(B) in double.
inline HostMatrix reference_product(const HostMatrix& a, bool ta, const HostMatrix& b, bool tb) {
  const std::size_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols;
  const std::size_t n = tb ? b.rows : b.cols;
  HostMatrix c(m, n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (std::size_t p = 0; p < k; ++p)
        sum += (ta ? a(p, i) : a(i, p)) * (tb ? b(j, p) : b(p, j));
      c(i, j) = sum;
    }
  return c;
}

}  // namespace strata::testing::dense
