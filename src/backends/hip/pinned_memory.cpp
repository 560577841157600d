// Pinned host buffers and stream-ordered copies.
#include "backends/hip/pinned_memory.hpp"

#include "backends/hip/hip_check.hpp"

namespace strata::backends::hip {

PinnedHostBuffer::PinnedHostBuffer(std::size_t bytes) : bytes_(bytes) {
  require_hip_device("pinned host memory");
  void* data = nullptr;
  check_hip(hipHostMalloc(&data, bytes, hipHostMallocDefault), "hipHostMalloc");
  data_.reset(data);
}

void PinnedHostBuffer::HostFree::operator()(void* data) const noexcept { (void)hipHostFree(data); }

void copy_async(void* dst, const void* src, std::size_t bytes, hipStream_t stream) {
  check_hip(hipMemcpyAsync(dst, src, bytes, hipMemcpyDefault, stream), "hipMemcpyAsync");
}

}  // namespace strata::backends::hip
