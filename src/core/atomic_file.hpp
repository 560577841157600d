// Whole-file writes that readers never see half done: write path + ".tmp",
// fsync it, rename it over path, fsync the directory. Used for run outputs
// (trace.json, ledger.json, resolved configs) that tools poll while a job runs.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Throws a this-rank Error naming the path and the failed call.
void write_file_atomically(const std::string& path, std::string_view contents);

// The pieces, for writers that produce their file another way (HDF5) and
// then publish it with the same fsync / rename / fsync-directory sequence.
std::string directory_of(const std::string& path);  // "." for a bare name
void fsync_file(const std::string& path);
// Makes a rename inside directory durable. Some file systems cannot fsync a
// directory (EINVAL); the data is safe regardless, so that is not an error.
void fsync_directory(const std::string& directory);

}  // namespace strata
