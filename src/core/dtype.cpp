// Names of the element types and their parsing from decks and the command line.
#include "core/dtype.hpp"

#include "core/error.hpp"

namespace strata {

std::string_view name(DType dtype) noexcept {
  switch (dtype) {
    case DType::fp32: return "fp32";
    case DType::bf16: return "bf16";
    case DType::fp16: return "fp16";
  }
  return "unknown";
}

DType parse_dtype(std::string_view text, const std::string& key) {
  for (DType dtype : {DType::fp32, DType::bf16, DType::fp16})
    if (text == name(dtype)) return dtype;
  throw_input_error(key, "unknown dtype '" + std::string(text) + "'",
                    "use one of fp32, bf16, fp16 (lower case)");
}

}  // namespace strata
