// AttentionCore: the part of a block between c_attn and c_proj when it does
// not run on this rank's rows alone. Under Ulysses sequence parallelism
// (src/sequence) it exchanges q, k, v across the sp group and runs
// attention over the full sequence for a subset of the heads. Declared here,
// below the parallel engines, so a block can call one it is handed without
// the model depending on the layers above it.
#pragma once

#include <functional>
#include <memory>

#include "kernels/views.hpp"

namespace strata::model {

class AttentionCore {
 public:
  virtual ~AttentionCore() = default;
  // qkv [rows, 3C] as c_attn wrote it (kernels/attention.hpp's layout) →
  // out [rows, C]. Keeps what its backward needs until that backward.
  virtual void forward(const kernels::ConstMatrixF& qkv, const kernels::MatrixF& out) = 0;
  // dout [rows, C] → dqkv [rows, 3C], overwritten.
  virtual void backward(const kernels::ConstMatrixF& dout, const kernels::MatrixF& dqkv) = 0;
};

// Makes block `layer`'s core; an empty factory means local attention.
using AttentionCoreFactory = std::function<std::unique_ptr<AttentionCore>(int layer)>;

}  // namespace strata::model
