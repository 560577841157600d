// Checked HDF5 calls: STRATA_CHECK_H5(call, path) turns a negative return into
// a strata::Error naming the call, the file and HDF5's innermost message.
#pragma once

#include <hdf5.h>

#include <string>

#include "core/error.hpp"

namespace strata::io::h5 {

// Turns off HDF5's automatic printing of its error stack on this thread, so
// that a failure reaches the user once, as our Error, not as a page of
// HDF5-DIAG lines. Idempotent and cheap; every public entry point of io/
// that calls HDF5 runs it first.
void silence_error_printing();

// The most specific message on this thread's HDF5 error stack (the
// function where the error was first detected, with its major/minor class),
// or "" when the stack is empty. Clears the stack.
std::string take_innermost_error();

// Builds the Error for a failed call; subject is the file the call touched.
Error call_failed(const char* call, const std::string& path, const char* file, int line);

template <class Result>
Result check(Result result, const char* call, const std::string& path, const char* file, int line) {
  if (result >= 0) return result;
  throw call_failed(call, path, file, line);
}

}  // namespace strata::io::h5

#define STRATA_CHECK_H5(call, path) \
  ::strata::io::h5::check((call), #call, (path), __FILE__, __LINE__)
