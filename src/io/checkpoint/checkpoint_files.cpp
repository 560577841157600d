// The checkpoint directory: step-N.h5 names, the `latest` pointer, and which
// file a resume starts from. POSIX only; the HDF5 side is in writer/reader.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "core/error.hpp"
#include "io/checkpoint/checkpoint.hpp"
#include "io/hdf5/h5_file.hpp"

namespace strata::io {
namespace {

const char* const kRemedyNotCheckpoint =
    "point [checkpoint] resume at a step-N.h5 file a Strata run wrote, or set it to latest";

std::string dir_subject(const std::string& dir) { return "[checkpoint] dir = " + dir; }

// Parses "step-<digits>.h5"; false for anything else (step-3.h5.tmp, notes).
bool parse_checkpoint_name(const std::string& name, std::uint64_t& step) {
  const std::string prefix = "step-", suffix = ".h5";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  step = std::strtoull(digits.c_str(), nullptr, 10);
  return errno == 0;
}

// The highest step-N.h5 in dir, or "" if none (or no dir).
std::string newest_checkpoint(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return {};
  std::string best;
  std::uint64_t best_step = 0;
  while (const dirent* entry = ::readdir(handle)) {
    std::uint64_t step = 0;
    if (parse_checkpoint_name(entry->d_name, step) && (best.empty() || step > best_step)) {
      best = entry->d_name;
      best_step = step;
    }
  }
  ::closedir(handle);
  return best;
}

}  // namespace

TensorSlice TensorSlice::contiguous(std::vector<std::uint64_t> shape, std::uint64_t offset,
                                    std::uint64_t count) {
  TensorSlice slice{std::move(shape), {}};
  if (count > 0) slice.runs.push_back({offset, count});
  return slice;
}

std::uint64_t TensorSlice::numel() const {
  std::uint64_t n = 1;
  for (const auto extent : shape) n *= extent;
  return n;
}

std::uint64_t TensorSlice::count() const {
  std::uint64_t n = 0;
  for (const FlatRun& run : runs) n += run.count;
  return n;
}

std::string checkpoint_path(const std::string& dir, std::uint64_t step) {
  return dir + "/step-" + std::to_string(step) + ".h5";
}

void prepare_checkpoint_dir(const std::string& dir) {
  if (dir.empty())
    throw_input_error("[checkpoint] dir", "is empty",
                      "set it, or leave it unset for <output.dir>/checkpoints");
  // mkdir -p: each missing component in turn; EEXIST is fine (another job or rank).
  for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      const int saved = errno;
      throw_input_error(dir_subject(dir), "cannot create " + part + ": " + std::strerror(saved),
                        "choose a checkpoint directory on a writable file system");
    }
    if (slash == std::string::npos) break;
  }
  require_writable_checkpoint_dir(dir);
}

void require_writable_checkpoint_dir(const std::string& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    const int saved = errno;
    throw_input_error(dir_subject(dir), std::string("cannot be used: ") + std::strerror(saved),
                      "create it, or check that it is mounted on every node");
  }
  if (!S_ISDIR(info.st_mode))
    throw_input_error(dir_subject(dir), "is not a directory", "choose a directory for checkpoints");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    const int saved = errno;
    throw_input_error(dir_subject(dir), std::string("is not writable: ") + std::strerror(saved),
                      "fix its permissions, or choose a directory you can write to");
  }
}

std::optional<std::string> resolve_resume(const std::string& dir, const std::string& resume) {
  if (resume.empty()) return std::nullopt;
  if (resume != "latest") {
    h5::require_hdf5_file(resume, "[checkpoint] resume = " + resume, kRemedyNotCheckpoint);
    return resume;
  }
  const std::string pointer = dir + "/latest";
  struct stat info {};
  const bool has_pointer = ::stat(pointer.c_str(), &info) == 0 || errno != ENOENT;
  std::string name;
  if (!has_pointer) {
    // No pointer: a crash between publishing a checkpoint and updating the
    // pointer, or a run that never checkpointed. The newest file, or none.
    name = newest_checkpoint(dir);
    if (name.empty()) return std::nullopt;
  } else {
    std::ifstream in(pointer);
    if (!in)
      throw Error("cannot read the latest-checkpoint pointer", pointer,
                  "make it readable, or set [checkpoint] resume to a file");
    std::getline(in, name);
    std::uint64_t step = 0;
    if (!parse_checkpoint_name(name, step))
      throw Error("does not name a checkpoint (it holds '" + name + "')", pointer,
                  "delete " + pointer + " to resume from the newest step-N.h5 in " + dir +
                      ", or set [checkpoint] resume to a file");
  }
  const std::string path = dir + "/" + name;
  h5::require_hdf5_file(path, "[checkpoint] resume = latest (" + path + ")",
                        "delete " + pointer + " to fall back to the newest step-N.h5 in " + dir +
                            ", or set [checkpoint] resume to a file that exists");
  return path;
}

}  // namespace strata::io
