// Error checks of the CUDA backend: every failed CUDA, cuBLAS or NCCL call
// becomes a strata::Error naming the call, the library's reason and the
// usual fix (binding, driver), as the MPI checks do (core/check.hpp).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace strata::backends::cuda {

void check_cuda(cudaError_t status, const char* call);
void check_cublas(cublasStatus_t status, const char* call);

// The CUDA devices this process sees (0 without a driver or a GPU), and a
// one-line reason when there are none, for messages.
int visible_cuda_devices(std::string* why_none = nullptr);

// Throws an Error naming `user` (what needed the GPU) and the binding fix
// when this process sees no CUDA device.
void require_cuda_device(const char* user);

}  // namespace strata::backends::cuda
