// For tests that drive GPT layers with buffers they own (one per spec, in
// the order of the specs): the views a layer's forward and backward take,
// its params() then its shared_params(), found by name.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/layer.hpp"

namespace strata::testing {

inline model::ParamViews layer_views(const model::Layer& layer,
                                     const std::vector<model::ParamSpec>& specs,
                                     const std::vector<kernels::VectorF>& buffers) {
  model::ParamViews out;
  auto add = [&](const std::string& name) {
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == name) {
        out.emplace_back(buffers[i].data(), buffers[i].extent(0));
        return;
      }
    ADD_FAILURE() << "no parameter " << name;
  };
  for (const auto& spec : layer.params()) add(spec.name);
  for (const auto& name : layer.shared_params()) add(name);
  return out;
}

}  // namespace strata::testing
