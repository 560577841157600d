// Scalar attributes on an HDF5 object: write and read strings, unsigned
// integers and doubles, with checked calls and messages naming the attribute.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace strata::io::h5 {

// Each writer creates a scalar attribute `name` on object `owner` (a file,
// group or dataset id). path names the file in errors.
void write_attribute(hid_t owner, const std::string& name, const std::string& value,
                     const std::string& path);
void write_attribute(hid_t owner, const std::string& name, std::uint64_t value,
                     const std::string& path);
void write_attribute(hid_t owner, const std::string& name, double value, const std::string& path);

bool has_attribute(hid_t owner, const std::string& name, const std::string& path);

// Readers convert to the requested type (HDF5 converts integer widths and
// fixed/variable-length strings); a missing attribute is the caller's check.
std::string read_string_attribute(hid_t owner, const std::string& name, const std::string& path);
std::uint64_t read_uint_attribute(hid_t owner, const std::string& name, const std::string& path);
double read_double_attribute(hid_t owner, const std::string& name, const std::string& path);

}  // namespace strata::io::h5
