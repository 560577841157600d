// The message of the strata::Error a piece of code throws, for tests that
// assert on what the user would read.
#pragma once

#include <functional>
#include <string>

#include "core/error.hpp"

namespace strata::testing {

// what() of the strata::Error that body throws, or "(no error)" if it throws
// none (so an assertion on the text fails and shows why).
inline std::string error_text(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace strata::testing
