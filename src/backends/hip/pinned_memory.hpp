// Page-locked host memory and asynchronous copies on AMD GPUs: what
// ZeRO-Offload's optimizer states and ZeRO-Infinity's staging need to move
// between host and GPU while compute goes on, as backends/cuda's do on
// NVIDIA GPUs. Pageable memory would make every copy synchronous.
#pragma once

#include <hip/hip_runtime_api.h>

#include <cstddef>
#include <memory>

namespace strata::backends::hip {

class PinnedHostBuffer {
 public:
  // bytes of page-locked host memory (hipHostMalloc). Throws an Error with
  // the binding fix when no AMD GPU is visible. Move-only; a moved-from
  // buffer is empty.
  explicit PinnedHostBuffer(std::size_t bytes);

  void* data() const noexcept { return data_.get(); }
  std::size_t bytes() const noexcept { return data_ ? bytes_ : 0; }

 private:
  struct HostFree {
    void operator()(void* data) const noexcept;
  };
  std::unique_ptr<void, HostFree> data_;
  std::size_t bytes_ = 0;
};

// Enqueues a copy of bytes from src to dst on stream, in whichever
// direction their addresses say (unified addressing); returns at once.
void copy_async(void* dst, const void* src, std::size_t bytes, hipStream_t stream);

}  // namespace strata::backends::hip
