// The ends of a Megatron pair: local kernels, then the region operator.
#include "tensor_parallel/parallel_linear.hpp"

#include "kernels/matmul.hpp"
#include "tensor_parallel/regions.hpp"

namespace strata::tensor_parallel {

void row_parallel_forward(comm::Communicator& tp, const kernels::ConstMatrixF& input,
                          const kernels::ConstMatrixF& weight, const kernels::ConstVectorF& bias,
                          const kernels::MatrixF& out) {
  kernels::matmul_forward(input, weight, tp.rank() == 0 ? bias : kernels::ConstVectorF(), out);
  reduce_from_region_forward(tp, out);
}

void column_parallel_backward(comm::Communicator& tp, const kernels::ConstMatrixF& dout,
                              const kernels::ConstMatrixF& input,
                              const kernels::ConstMatrixF& weight, const kernels::MatrixF& dinput,
                              const kernels::MatrixF& dweight, const kernels::VectorF& dbias) {
  kernels::matmul_backward(dout, input, weight, dinput, dweight, dbias);
  copy_to_region_backward(tp, dinput);
}

}  // namespace strata::tensor_parallel
