// Logging state and the single place lines are written. Logging is set up
// once at start-up, before any thread exists, so plain statics suffice.
#include "core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>

#include "core/error.hpp"

namespace strata::log {
namespace {

struct LogState {
  Level level = Level::info;
  bool all_ranks = std::getenv("STRATA_LOG_ALL_RANKS") != nullptr &&
                   std::string(std::getenv("STRATA_LOG_ALL_RANKS")) == "1";
  std::ofstream mirror;
  std::mutex mutex;  // the watchdog thread may log too
};

LogState& state() {
  static LogState instance;
  return instance;
}

const char* tag(Level level) {
  switch (level) {
    case Level::debug: return "debug: ";
    case Level::info: return "";
    case Level::warn: return "warning: ";
    case Level::error: return "error: ";
  }
  return "";
}

}  // namespace

void set_level(Level lvl) { state().level = lvl; }
Level level() { return state().level; }
void set_all_ranks(bool all) { state().all_ranks = all; }
bool all_ranks() { return state().all_ranks; }

void mirror_to_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().mirror.close();
  if (path.empty()) return;
  state().mirror.open(path, std::ios::app);
  if (!state().mirror)
    throw Error("cannot open the log file for writing", path,
                "check that the run directory exists and is writable", ErrorScope::this_rank);
}

Level parse_level(const std::string& text, const std::string& key) {
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn") return Level::warn;
  if (text == "error") return Level::error;
  throw_input_error(key, "unknown log level '" + text + "'", "use one of debug, info, warn, error");
}

bool enabled(Level lvl) {
  if (lvl < state().level) return false;
  return state().all_ranks || world_rank() == 0 || lvl == Level::error;
}

void emit(Level lvl, const std::string& message) {
  std::string line = "[strata";
  if (state().all_ranks) line += " r" + std::to_string(world_rank());
  line += "] ";
  line += tag(lvl);
  line += message;
  line += '\n';
  std::lock_guard<std::mutex> lock(state().mutex);
  std::FILE* stream = lvl >= Level::warn ? stderr : stdout;
  std::fputs(line.c_str(), stream);
  std::fflush(stream);
  if (state().mirror) state().mirror << line << std::flush;
}

}  // namespace strata::log
