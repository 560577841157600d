// Input files are read whole: decks and ds_configs are small, and a second
// pass over the text is how deck errors get their line numbers.
#include "config/impl/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.hpp"

namespace strata::config::impl {

std::string read_input_file(const std::string& path, const std::string& kind) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  if (path.empty())
    throw_input_error(kind + " file", "the path is empty",
                      "give the path of the " + kind + " file");
  if (!fs::exists(path, ignored))
    throw_input_error(path, "the " + kind + " file does not exist",
                      "check the path; a relative path is taken from the working directory " +
                          fs::current_path(ignored).string());
  if (fs::is_directory(path, ignored))
    throw_input_error(path, "is a directory, not a " + kind + " file",
                      "give the path of the " + kind + " file itself");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw_input_error(path, "the " + kind + " file cannot be opened: " + std::strerror(errno),
                      "check that the file is readable by this user on every node");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw_input_error(path, "reading the " + kind + " file failed",
                      "check the file and the file system");
  return text.str();
}

}  // namespace strata::config::impl
