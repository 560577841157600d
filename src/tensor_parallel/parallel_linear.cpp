// The row-parallel end of a Megatron pair: a local GEMM, then g.
#include "tensor_parallel/parallel_linear.hpp"

#include "kernels/matmul.hpp"
#include "tensor_parallel/regions.hpp"

namespace strata::tensor_parallel {

void row_parallel_forward(comm::Communicator& tp, const kernels::ConstMatrixF& input,
                          const kernels::ConstMatrixF& weight, const kernels::ConstVectorF& bias,
                          const kernels::MatrixF& out, const kernels::VectorF& weight_scratch) {
  kernels::matmul_forward(input, weight, tp.rank() == 0 ? bias : kernels::ConstVectorF(), out,
                          weight_scratch);
  reduce_from_region_forward(tp, out);
}

}  // namespace strata::tensor_parallel
