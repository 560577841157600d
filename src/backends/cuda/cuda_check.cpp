// The CUDA backend's error checks.
#include "backends/cuda/cuda_check.hpp"

#include "core/error.hpp"

namespace strata::backends::cuda {

namespace {
constexpr const char* kBindingFix =
    "run on GPU nodes with one visible GPU per rank (srun --gpus-per-task=1, or "
    "CUDA_VISIBLE_DEVICES from SLURM_LOCALID; docs/gpu.md), with a driver at least as new as "
    "the CUDA toolkit the build used";
}  // namespace

void check_cuda(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  throw STRATA_ERROR(std::string(call) + " failed: " + cudaGetErrorString(status), "CUDA runtime",
                     kBindingFix);
}

void check_cublas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw STRATA_ERROR(std::string(call) + " failed: " + cublasGetStatusString(status), "cuBLAS",
                     "check the matrix shapes and leading dimensions, and that the GPU supports "
                     "the data types (bf16 needs sm_80 or newer)");
}

int visible_cuda_devices(std::string* why_none) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why_none) *why_none = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_none) *why_none = "the driver reports no CUDA device";
  return count;
}

void require_cuda_device(const char* user) {
  std::string why;
  if (visible_cuda_devices(&why) > 0) return;
  throw STRATA_ERROR(std::string(user) + " needs a CUDA device and none is visible (" + why + ")",
                     user, kBindingFix);
}

}  // namespace strata::backends::cuda
