// The fully resolved configuration as an input deck (config.resolved.ini):
// every key, defaults and derived values included, so that the run can be
// repeated from this one file.
#pragma once

#include <string>

#include "config/config.hpp"

namespace strata::config {

// The deck text. Reading it back with read_deck gives a Config for which
// same_values() holds. DeepSpeed keys kept but not used appear as comments.
std::string format_resolved_ini(const Config& config);

// Writes format_resolved_ini(config) to path atomically: a temporary file in
// the same directory, flushed and fsynced, then renamed over path.
void write_resolved_ini(const Config& config, const std::string& path);

}  // namespace strata::config
