// The order of the front doors: deck, command line, ds_config.
#include "config/load.hpp"

namespace strata::config {

Config load_config(const CommandLine& command_line) {
  Config config;
  if (!command_line.deck_path.empty()) read_deck(command_line.deck_path, config);
  apply_overrides(command_line, config);
  // Last, so that the ds_config can be checked against everything the user set
  // by hand, and so that --deepspeed (an override) picks the file.
  if (!config.train.deepspeed_config.empty())
    apply_deepspeed_config(config.train.deepspeed_config, config);
  return config;
}

}  // namespace strata::config
