// The HIP backend's error checks.
#include "backends/hip/hip_check.hpp"

#include "core/error.hpp"

namespace strata::backends::hip {

namespace {
constexpr const char* kBindingFix =
    "run on AMD GPU nodes with one visible GPU (GCD) per rank (srun --gpus-per-task=1, or "
    "scripts/gpu-bind.sh, which sets ROCR_VISIBLE_DEVICES from SLURM_LOCALID; a "
    "HIP_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES that names no GPU hides them all; docs/gpu.md), "
    "with the amdgpu driver loaded (/dev/kfd) and a ROCm runtime that supports the GPU";
}  // namespace

void check_hip(hipError_t status, const char* call) {
  if (status == hipSuccess) return;
  throw STRATA_ERROR(std::string(call) + " failed: " + hipGetErrorString(status), "HIP runtime",
                     kBindingFix);
}

int visible_hip_devices(std::string* why_none) {
  int count = 0;
  const hipError_t status = hipGetDeviceCount(&count);
  if (status != hipSuccess) {
    if (why_none) *why_none = hipGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_none) *why_none = "the runtime reports no AMD GPU";
  return count;
}

void require_hip_device(const char* user) {
  std::string why;
  if (visible_hip_devices(&why) > 0) return;
  throw STRATA_ERROR(std::string(user) + " needs an AMD GPU and none is visible (" + why + ")",
                     user, kBindingFix);
}

}  // namespace strata::backends::hip
