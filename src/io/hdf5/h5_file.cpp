// File-level checks and opens. The pre-checks exist because HDF5's own
// message for a wrong file ("file signature not found") does not say what to do.
#include "io/hdf5/h5_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata::io::h5 {
namespace {

PropertyList read_access(const std::string& path) {
  PropertyList fapl(STRATA_CHECK_H5(H5Pcreate(H5P_FILE_ACCESS), path));
  // Token files are never written in place (strata-prep renames a finished
  // file over them), so readers need no lock; parallel file systems without
  // flock would otherwise refuse the open.
  STRATA_CHECK_H5(H5Pset_file_locking(fapl.id(), false, true), path);
  return fapl;
}

}  // namespace

void require_hdf5_file(const std::string& path, const std::string& subject,
                       const std::string& remedy) {
  silence_error_printing();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int saved = errno;
    throw Error(saved == ENOENT ? "file does not exist"
                                : std::string("cannot access the file: ") + std::strerror(saved),
                subject,
                "check the path (relative paths are taken from the working directory); " + remedy);
  }
  if (!S_ISREG(info.st_mode))
    throw Error("is not a regular file", subject, "point it at an HDF5 file; " + remedy);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    throw Error(std::string("cannot open the file for reading: ") + std::strerror(saved), subject,
                "make the file readable by this user (chmod/ACLs) or copy it somewhere readable");
  }
  char byte = 0;
  const ssize_t got = ::read(fd, &byte, 1);
  const int saved = errno;
  ::close(fd);
  if (got < 0)
    throw Error(std::string("cannot read the file: ") + std::strerror(saved), subject,
                "make the file readable by this user, or check the file system");
  if (got == 0) throw Error("file is empty, so it is not an HDF5 file", subject, remedy);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    take_innermost_error();
    throw Error("is not an HDF5 file (no HDF5 signature found)", subject, remedy);
  }
}

File open_serial(const std::string& path) {
  silence_error_printing();
  PropertyList fapl = read_access(path);
  return File(STRATA_CHECK_H5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), path));
}

File open_parallel(const std::string& path, MPI_Comm comm) {
  silence_error_printing();
  PropertyList fapl = read_access(path);
  STRATA_CHECK_H5(H5Pset_fapl_mpio(fapl.id(), comm, MPI_INFO_NULL), path);
  return File(STRATA_CHECK_H5(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), path));
}

File create_serial(const std::string& path) {
  silence_error_printing();
  return File(
      STRATA_CHECK_H5(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), path));
}

}  // namespace strata::io::h5
