// Whole-file writes that readers never see half done: write path + ".tmp",
// fsync it, rename it over path, fsync the directory. Used for run outputs
// (trace.json, ledger.json, resolved configs) that tools poll while a job runs.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Throws a this-rank Error naming the path and the failed call.
void write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace strata
