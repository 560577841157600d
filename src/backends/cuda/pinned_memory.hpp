// Page-locked host memory and asynchronous copies: what ZeRO-Offload's
// optimizer states and ZeRO-Infinity's staging need to move between host
// and GPU while compute goes on. Pageable memory would make every copy
// synchronous (the driver stages it through a pinned bounce buffer).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace strata::backends::cuda {

class PinnedHostBuffer {
 public:
  // bytes of page-locked host memory (cudaMallocHost). Throws an Error with
  // the binding fix when no CUDA device is visible.
  explicit PinnedHostBuffer(std::size_t bytes);
  ~PinnedHostBuffer();
  PinnedHostBuffer(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer& operator=(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer(const PinnedHostBuffer&) = delete;
  PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;

  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// Enqueues a copy of bytes from src to dst on stream, in whichever
// direction their addresses say (unified addressing); returns at once.
void copy_async(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);

}  // namespace strata::backends::cuda
