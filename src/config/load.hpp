// The front doors of a Config: an input deck, command-line overrides and a
// DeepSpeed ds_config, applied in that order. None of them validates across
// keys; validate() does that once everything is in.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace strata::config {

struct CommandLine {
  std::string deck_path;  // the one positional argument; empty: defaults only
  // ("train.lr", "3e-4") in command-line order; a later one wins. --deepspeed
  // FILE arrives here as ("train.deepspeed_config", FILE).
  std::vector<std::pair<std::string, std::string>> overrides;
  bool help = false;  // --help or -h
};

// Parses `[deck.ini] [--section.key=value | --section.key value]...
// [--deepspeed ds.json] [--help]` with Boost.Program_options. An unknown key
// is an input error naming it and the nearest valid key; values are checked
// for type when applied.
CommandLine parse_command_line(const std::vector<std::string>& args);
CommandLine parse_command_line(int argc, const char* const* argv);  // skips argv[0]
std::string command_line_usage(const std::string& app_name);

// Reads an INI deck into config, recording each key's file:line in
// config.origins. Missing or unreadable files, syntax errors, unknown keys,
// keys given twice and badly typed values are input errors.
void read_deck(const std::string& path, Config& config);

// Applies command_line.overrides (origin "command line"): they win over the
// deck and over any ds_config.
void apply_overrides(const CommandLine& command_line, Config& config);

// Merges a DeepSpeed ds_config.json with DeepSpeed's key names, defaults and
// semantics (docs/config.md has the mapping). A ds value that differs from
// one the deck set explicitly is an input error naming both.
void apply_deepspeed_config(const std::string& path, Config& config);

// Deck, then overrides, then the ds_config named by [train] deepspeed_config
// (or --deepspeed). The result still needs validate().
Config load_config(const CommandLine& command_line);

}  // namespace strata::config
