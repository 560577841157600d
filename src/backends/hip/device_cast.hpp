// The bulk conversions between fp32 and the 2-byte types as HIP kernels on
// a stream: the HIP form of kernels/portable_cast's narrow and widen, for
// buffers in AMD GPU memory. They round with core/dtype_bits.hpp's scalar
// conversions, as portable_cast and precision_cast do, so all three give
// the same bits (backends_hip_device_cast checks it on a GPU).
//
// Compiled by hipcc for STRATA_HIP_ARCHITECTURES (gfx90a by default).
// Pointers are in device memory and may not overlap; the calls return once
// the work is enqueued.
#pragma once

#include <hip/hip_runtime_api.h>

#include <cstdint>

#include "core/dtype_bits.hpp"

namespace strata::backends::hip::device_cast {

// dst[i] = dst_type(src[i]), rounded to nearest even, NaNs quieted; fp32 to
// fp32 copies. Throws an Error with the binding fix when no AMD GPU is
// visible, and the rebuild fix when the GPU's architecture was not compiled.
void narrow(const float* src, DType dst_type, void* dst, std::int64_t n, hipStream_t stream);
// dst[i] = float(src[i]), exact. Throws as narrow does.
void widen(const void* src, DType src_type, float* dst, std::int64_t n, hipStream_t stream);

}  // namespace strata::backends::hip::device_cast
