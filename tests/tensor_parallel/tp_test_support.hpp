// Shared by the tensor-parallel layer tests: deterministic inputs, host and
// device copies, a rank's TensorSplit slice of a whole tensor, and a
// comparison scaled by the reference's largest value.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/views.hpp"
#include "model/tensor_split.hpp"

namespace strata::tensor_parallel {

inline std::vector<float> values(std::size_t n, double seed, double scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(scale * std::sin(seed + 0.37 * static_cast<double>(i)));
  return v;
}

inline kernels::MatrixF device(const std::vector<float>& host, std::int64_t rows,
                               std::int64_t cols) {
  kernels::MatrixF view(std::string("m"), rows, cols);
  Kokkos::deep_copy(view, Kokkos::View<const float**, Kokkos::LayoutRight, Kokkos::HostSpace>(
                              host.data(), rows, cols));
  return view;
}

inline std::vector<float> host(const kernels::MatrixF& view) {
  std::vector<float> out(view.size());
  Kokkos::deep_copy(Kokkos::View<float**, Kokkos::LayoutRight, Kokkos::HostSpace>(
                        out.data(), view.extent(0), view.extent(1)),
                    view);
  return out;
}

// The rank's elements of a logical tensor, in local order.
inline std::vector<float> slice(const std::vector<float>& whole,
                                const std::vector<std::int64_t>& shape,
                                const model::TensorSplit& split) {
  std::int64_t n = 1;
  for (auto d : model::local_shape(shape, split, "w")) n *= d;
  std::vector<float> local;
  for (const auto& run : model::logical_runs(shape, split, 0, n))
    local.insert(local.end(), whole.begin() + run.logical_begin,
                 whole.begin() + run.logical_begin + run.count);
  return local;
}

inline void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                         const char* what, int rank) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 0.0;
  for (float w : want) scale = std::max(scale, std::abs(static_cast<double>(w)));
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5 * scale) << what << " element " << i << " on rank " << rank;
}

// The first row of a [1, n] matrix as a vector (biases built by device()).
inline auto row(const kernels::MatrixF& m) { return Kokkos::subview(m, 0, Kokkos::ALL); }

}  // namespace strata::tensor_parallel
