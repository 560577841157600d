// Next-token sampling from one row of logits: temperature, then top-k, then
// one draw from the renormalised distribution. Pure, so it is testable.
#pragma once

#include <cstdint>
#include <vector>

namespace strata::generate {

// logits[0 .. vocab): the real vocabulary (padding already cut off).
// temperature <= 0 means greedy (argmax); top_k <= 0 or >= vocab keeps all.
// u in [0, 1) is the uniform draw. Ties keep the lower id.
std::uint32_t sample_token(const std::vector<float>& logits, double temperature, int top_k,
                           double u);

}  // namespace strata::generate
