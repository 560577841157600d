// Writing config.resolved.ini. Atomic (temporary file + rename) so that a job
// killed mid-write never leaves a half deck for the next run to trust.
#include "config/resolved_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "config/byte_size.hpp"
#include "config/impl/key_table.hpp"
#include "core/check.hpp"
#include "core/error.hpp"

namespace strata::config {
namespace {

// Where a value came from, as a trailing comment: useful when reading a run's
// resolved deck months later.
std::string comment_for(const Config& config, const impl::KeySpec& spec) {
  std::string comment;
  const auto origin = config.origins.find(spec.key());
  if (origin != config.origins.end())
    comment = origin->second.where == "command line"                       ? origin->second.subject
              : origin->second.subject.rfind(origin->second.where, 0) == 0 ? origin->second.subject
                                                                           : origin->second.where;
  if (spec.key() == "memory.device_memory_limit" && config.memory.device_memory_limit != 0)
    comment += (comment.empty() ? "" : ", ") + format_byte_size(config.memory.device_memory_limit);
  return comment.empty() ? "" : "  # " + comment;
}

}  // namespace

std::string format_resolved_ini(const Config& config) {
  std::ostringstream out;
  out << "# Strata resolved configuration: every key, with defaults and derived values.\n"
      << "# Rerun with: strata-train config.resolved.ini\n";
  if (config.parallel.dp > 0) out << "# dp = " << config.parallel.dp << " (derived)\n";
  std::string section;
  for (const auto& spec : impl::deck_keys()) {
    if (spec.section != section) {
      section = spec.section;
      out << "\n[" << section << "]\n";
    }
    // '#' starts a comment in a deck, so a value holding one cannot be written
    // back; quote-free text is all the deck grammar has.
    const std::string value = spec.get(config);
    if (value.find('#') != std::string::npos)
      throw_input_error(spec.subject(),
                        "value '" + value + "' contains '#', which a deck cannot hold",
                        "choose a value (path) without '#'");
    out << spec.name << " = " << value << comment_for(config, spec) << "\n";
  }
  if (!config.deepspeed_unused.empty()) {
    out << "\n# DeepSpeed keys accepted but not used by Strata yet (from "
        << config.train.deepspeed_config << "):\n";
    for (const auto& [path, json] : config.deepspeed_unused)
      out << "#   " << path << " = " << json << "\n";
  }
  return out.str();
}

void write_resolved_ini(const Config& config, const std::string& path) {
  const std::string text = format_resolved_ini(config);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd =
      STRATA_CHECK_SYS(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), temporary);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      ::close(fd);
      ::unlink(temporary.c_str());
      STRATA_CHECK_SYS(n, temporary);
    }
    written += static_cast<std::size_t>(n);
  }
  STRATA_CHECK_SYS(::fsync(fd), temporary);
  STRATA_CHECK_SYS(::close(fd), temporary);
  STRATA_CHECK_SYS(::rename(temporary.c_str(), path.c_str()), path);
}

}  // namespace strata::config
