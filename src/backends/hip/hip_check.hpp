// Error checks of the HIP backend: every failed HIP call becomes a
// strata::Error naming the call, the runtime's reason and the usual fix
// (binding, driver, architecture), as the CUDA backend's checks do
// (backends/cuda/cuda_check.hpp).
#pragma once

#include <hip/hip_runtime_api.h>

#include <string>

namespace strata::backends::hip {

void check_hip(hipError_t status, const char* call);

// The AMD GPUs this process sees (0 without the amdgpu driver or a GPU), and
// a one-line reason when there are none, for messages.
int visible_hip_devices(std::string* why_none = nullptr);

// Throws an Error naming `user` (what needed the GPU) and the binding fix
// when this process sees no AMD GPU.
void require_hip_device(const char* user);

}  // namespace strata::backends::hip
