// The array types every kernel takes. Activations are row-major matrices of
// (rows = batch × positions, columns = features), so a kernel sees one plain
// strided 2-D array whatever the model's batch shape; parameters are flat.
// Kernels read through the Const views and write through the others;
// accumulation is always fp32 or wider.
#pragma once

#include <Kokkos_Core.hpp>

namespace strata::kernels {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;

template <class T>
using Matrix = Kokkos::View<T**, Kokkos::LayoutRight, MemSpace>;
template <class T>
using Vector = Kokkos::View<T*, MemSpace>;

using MatrixF = Matrix<float>;
using ConstMatrixF = Matrix<const float>;
using VectorF = Vector<float>;
using ConstVectorF = Vector<const float>;

// Wraps memory a caller already owns (a Tensor, a flat parameter buffer)
// without copying or reference counting.
template <class T>
using UnmanagedMatrix =
    Kokkos::View<T**, Kokkos::LayoutRight, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
template <class T>
using UnmanagedVector = Kokkos::View<T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

}  // namespace strata::kernels
