// Small helpers shared by the layer implementations.
#include "model/layer.hpp"

namespace strata::model {

int find_param(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return static_cast<int>(i);
  return -1;
}

kernels::VectorF optional_view(const ParamViews& views, int index) {
  if (index < 0) return kernels::VectorF();
  return kernels::VectorF(views[static_cast<std::size_t>(index)].data(),
                          views[static_cast<std::size_t>(index)].extent(0));
}

}  // namespace strata::model
