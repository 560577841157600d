// Rank-aware logging. By default only rank 0 speaks, so a 1024-rank job
// prints one line per event; set_all_ranks(true) (or STRATA_LOG_ALL_RANKS=1)
// makes every rank speak, tagged with its rank, for debugging divergence.
#pragma once

#include <sstream>
#include <string>

namespace strata::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
Level level();
void set_all_ranks(bool all_ranks);
bool all_ranks();
// Also append every emitted line to this file (the run's log.txt). Empty
// path stops mirroring.
void mirror_to_file(const std::string& path);

// Parses "debug", "info", "warn" or "error"; throws an input Error otherwise.
Level parse_level(const std::string& text, const std::string& key);

// True when a message at this level would be printed by this rank.
bool enabled(Level level);
void emit(Level level, const std::string& message);

template <class... Parts>
void write(Level lvl, const Parts&... parts) {
  if (!enabled(lvl)) return;
  std::ostringstream line;
  (line << ... << parts);
  emit(lvl, line.str());
}

template <class... Parts>
void debug(const Parts&... parts) {
  write(Level::debug, parts...);
}
template <class... Parts>
void info(const Parts&... parts) {
  write(Level::info, parts...);
}
template <class... Parts>
void warn(const Parts&... parts) {
  write(Level::warn, parts...);
}
template <class... Parts>
void error(const Parts&... parts) {
  write(Level::error, parts...);
}

}  // namespace strata::log
