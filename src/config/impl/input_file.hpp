// Reading a whole input file (deck or ds_config) with errors that name it.
#pragma once

#include <string>

namespace strata::config::impl {

// kind is what the file should be, for messages: "deck", "ds_config".
std::string read_input_file(const std::string& path, const std::string& kind);

}  // namespace strata::config::impl
