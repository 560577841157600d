// write_file_atomically over POSIX calls, each checked.
#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "core/check.hpp"

namespace strata {
namespace {

// Closes on every path out, including exceptions; close() itself is checked
// on the normal path because NFS and Lustre may report write errors there.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  try {
    FileDescriptor file(STRATA_CHECK_SYS(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), temporary));
    std::size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(file.get(), contents.data() + written, contents.size() - written);
      if (n < 0 && errno == EINTR) continue;
      written += static_cast<std::size_t>(STRATA_CHECK_SYS(n, temporary));
    }
    STRATA_CHECK_SYS(::fsync(file.get()), temporary);
    STRATA_CHECK_SYS(::close(file.release()), temporary);
    STRATA_CHECK_SYS(::rename(temporary.c_str(), path.c_str()), path);
  } catch (...) {
    ::unlink(temporary.c_str());  // leave no half-written file behind
    throw;
  }
  fsync_directory(directory_of(path));
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void fsync_file(const std::string& path) {
  FileDescriptor file(STRATA_CHECK_SYS(::open(path.c_str(), O_RDONLY | O_CLOEXEC), path));
  STRATA_CHECK_SYS(::fsync(file.get()), path);
}

void fsync_directory(const std::string& directory) {
  FileDescriptor dir(
      STRATA_CHECK_SYS(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), directory));
  if (::fsync(dir.get()) != 0 && errno != EINVAL) STRATA_CHECK_SYS(-1, directory);
}

}  // namespace strata
